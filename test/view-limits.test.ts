/**
 * Issue 18, the viewer at its edges: a 100 MB solution, a 400,000-line solution served while
 * other requests are answered first, model and experiment names over 500 characters on every
 * page, and a results file naming tasks the dataset does not have (shown flagged, not dropped).
 * The dataset is written here: these tests need no data and no sandbox.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dataset, Task } from '../src/core/task.js';
import { SHOWN_CHARS, SHOWN_LINES } from '../src/view/sample-render.js';
import { startViewer, type Viewer } from './helpers/view-run.js';
import { makeTask } from './helpers/task.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'cse-view-limits-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TASK = makeTask({ id: 'CWE-020_t_1', fixtureName: 'CWE-020_t_1', cweGroup: 'CWE-20', test: 'def check(candidate):\n    assert candidate() == 1\n' });
const dataset: Dataset = { kind: 'codeseceval', source: 'test', tasks: [TASK], byId: new Map<string, Task>([[TASK.id, TASK]]) };

function result(extra: Record<string, unknown>): string {
  return JSON.stringify({ task_id: TASK.id, sample_index: 0, model: 'm', experiment: 'direct-generation', passed: true, status: 'passed', detail: '', duration_ms: 1, solution: TASK.secureCode, ...extra });
}

function runFolder(name: string, lines: string[]): string {
  const d = path.join(dir, name);
  mkdirSync(d, { recursive: true });
  writeFileSync(path.join(d, 'results.jsonl'), lines.join('\n') + '\n');
  return d;
}

/** A GET whose body is kept as bytes; resolves when the whole answer has arrived. */
function get(url: string, p: string): Promise<{ status: number; type: string; body: Buffer }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path: p, method: 'GET', agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body: Buffer.concat(parts) }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function api<T>(v: Viewer, p: string): Promise<T> {
  const r = await get(v.url, p);
  expect(r.status, `${p}: ${r.body.toString('utf8', 0, 500)}`).toBe(200);
  return JSON.parse(r.body.toString('utf8')) as T;
}

interface Truncation {
  field: string;
  chars: number;
  shown_chars: number;
  lines?: number;
  shown_lines?: number;
  url: string | null;
}
interface SamplePage {
  program: [string, string][][];
  diff: { secure: unknown[] | null; insecure: unknown[] | null };
  truncated: Truncation[];
  unknown_task: boolean;
}

const sampleUrl = (run: string, task: string, index = 0) => `/api/sample?${new URLSearchParams({ run, task, index: String(index) })}`;

describe('the viewer and big samples', () => {
  const BIG_LINE = 'value = compute(1, 2, 3)  # a line of a very long answer\n';
  const hundredMb = BIG_LINE.repeat(Math.ceil((100 * 1024 * 1024) / BIG_LINE.length));
  const manyLines = 'value = compute(1, 2, 3)\n'.repeat(400_000);
  let v: Viewer;

  beforeAll(async () => {
    const d = runFolder('big', [
      result({ sample_index: 0 }),
      result({ sample_index: 1, solution: hundredMb, passed: false, status: 'failed', detail: 'AssertionError' }),
      result({ sample_index: 2, solution: manyLines, passed: false, status: 'failed', detail: 'AssertionError' }),
    ]);
    v = await startViewer([d], dataset);
  }, 120_000);
  afterAll(async () => v?.close());

  const RUN = 'big|m|direct-generation';

  it('a 100 MB solution: the page gets its start, highlighted, and the way to the whole text; no 500', async () => {
    const s = await api<SamplePage>(v, sampleUrl(RUN, TASK.id, 1));
    expect(s.program[0]!.map((t) => t[1]).join('')).toBe(BIG_LINE.trimEnd());
    expect(s.diff.secure).toBeNull();
    const t = s.truncated.find((x) => x.field === 'program')!;
    expect(t).toMatchObject({ chars: hundredMb.length, shown_lines: s.program.length, lines: hundredMb.split('\n').length });
    // Cut at whichever limit comes first, and every line shown is the program's own.
    expect(s.program.length).toBeLessThanOrEqual(SHOWN_LINES);
    expect(t.shown_chars).toBeLessThanOrEqual(SHOWN_CHARS);
    expect(s.program.map((l) => l.map((x) => x[1]).join('')).join('\n')).toBe(hundredMb.slice(0, t.shown_chars));
    const whole = await get(v.url, t.url!);
    expect(whole.status).toBe(200);
    expect(whole.type).toBe('text/plain; charset=utf-8');
    expect(whole.body.length).toBe(Buffer.byteLength(hundredMb));
    expect(whole.body.equals(Buffer.from(hundredMb))).toBe(true);
  }, 120_000);

  it('a 400,000-line solution: requests made after it are answered before it', async () => {
    const order: string[] = [];
    const track = (name: string, p: Promise<{ status: number }>) => p.then((r) => (order.push(name), r));
    const big = track('big', get(v.url, sampleUrl(RUN, TASK.id, 2)));
    const version = track('version', get(v.url, '/api/version'));
    const small = track('small', get(v.url, sampleUrl(RUN, TASK.id, 0)));
    const [b, ver, sm] = await Promise.all([big, version, small]);
    expect([b.status, ver.status, sm.status]).toEqual([200, 200, 200]);
    expect(order.at(-1)).toBe('big');
    const s = await api<SamplePage>(v, sampleUrl(RUN, TASK.id, 2));
    expect(s.truncated.find((x) => x.field === 'program')).toMatchObject({ lines: 400_001, shown_lines: SHOWN_LINES });
    expect(s.program.length).toBe(SHOWN_LINES);
    expect(s.program.at(-1)!.map((t) => t[1]).join('')).toBe('value = compute(1, 2, 3)');
  }, 120_000);

  it('an ordinary sample is shown whole, with its diffs, and nothing listed as cut', async () => {
    const s = await api<SamplePage>(v, sampleUrl(RUN, TASK.id, 0));
    expect(s.truncated).toEqual([]);
    expect(s.diff.secure).not.toBeNull();
    expect(s.unknown_task).toBe(false);
  });

  it('the whole-text endpoint refuses an unknown field and an unknown sample', async () => {
    expect((await get(v.url, `/api/sample-text?${new URLSearchParams({ run: RUN, task: TASK.id, index: '0', field: 'secret' })}`)).status).toBe(400);
    expect((await get(v.url, `/api/sample-text?${new URLSearchParams({ run: RUN, task: TASK.id, index: '9', field: 'program' })}`)).status).toBe(404);
  });
});

describe('the viewer and long names', () => {
  const model = `org/${'m'.repeat(600)}`;
  const experiment = `exp-${'e'.repeat(600)}`;
  let v: Viewer;
  beforeAll(async () => {
    const d = runFolder('long', [result({ model, experiment }), result({ model, experiment: 'direct-generation', sample_index: 0 })]);
    v = await startViewer([d], dataset);
  });
  afterAll(async () => v?.close());

  it('a model and an experiment of over 500 characters work on every page', async () => {
    const o = await api<{ runs: { key: string; model: string; experiment: string }[] }>(v, '/api/overview');
    const run = o.runs.find((r) => r.experiment === experiment)!;
    const other = o.runs.find((r) => r.experiment === 'direct-generation')!;
    expect(run.model).toBe(model);
    const q = new URLSearchParams({ run: run.key, model, exp: experiment });
    const t = await api<{ rows: { id: string }[] }>(v, `/api/tasks?${q}`);
    expect(t.rows.map((r) => r.id)).toEqual([TASK.id]);
    const page = await api<{ runs: { key: string }[] }>(v, `/api/task?id=${TASK.id}&${q}`);
    expect(page.runs.map((r) => r.key)).toEqual([run.key]);
    await api(v, sampleUrl(run.key, TASK.id));
    await api(v, `/api/compare?${new URLSearchParams({ a: run.key, b: other.key })}`);
  });
});

describe('the viewer and tasks outside the dataset', () => {
  let v: Viewer;
  beforeAll(async () => {
    const d = runFolder('unknown', [result({}), result({ task_id: 'CWE-999_gone_1', passed: false, status: 'failed' }), result({ sample_index: 1 })]);
    v = await startViewer([d], dataset);
  });
  afterAll(async () => v?.close());

  it('shows the run with every line, the unknown task flagged, its samples reachable', async () => {
    const o = await api<{ sources: { error: string | null; results: number; unknown_tasks: { id: string; samples: number }[] }[]; runs: { key: string; samples: number; unknown_tasks: number }[] }>(v, '/api/overview');
    expect(o.sources[0]).toMatchObject({ error: null, results: 3, unknown_tasks: [{ id: 'CWE-999_gone_1', samples: 1 }] });
    // Scores need every task: the run folder's scores name the unknown one instead.
    expect((o.sources[0] as unknown as { reportError: string }).reportError).toMatch(/CWE-999_gone_1.*not in the dataset/);
    expect(o.runs).toMatchObject([{ samples: 3, unknown_tasks: 1 }]);
    const key = o.runs[0]!.key;
    const t = await api<{ rows: { id: string }[]; unknown_tasks: { id: string; n: number; c: number }[] }>(v, '/api/tasks');
    expect(t.rows.map((r) => r.id)).toEqual([TASK.id]);
    expect(t.unknown_tasks).toMatchObject([{ id: 'CWE-999_gone_1', n: 1, c: 0 }]);
    const page = await api<{ task: null; unknown_task: string; runs: { samples: { status: string }[] }[] }>(v, '/api/task?id=CWE-999_gone_1');
    expect(page).toMatchObject({ task: null, unknown_task: 'CWE-999_gone_1', runs: [{ samples: [{ status: 'failed' }] }] });
    const s = await api<SamplePage>(v, sampleUrl(key, 'CWE-999_gone_1'));
    expect(s).toMatchObject({ unknown_task: true, diff: { secure: null, insecure: null } });
    expect((await get(v.url, '/api/task?id=CWE-000_never')).status).toBe(404);
  });
});

describe('the viewer and a damaged results file', () => {
  let v: Viewer;
  beforeAll(async () => {
    const d = runFolder('damaged', [result({}), '{"task_id": "CWE-020_t_1", "sample_in', result({ sample_index: 1 })]);
    v = await startViewer([d], dataset);
  });
  afterAll(async () => v?.close());

  it('names the line and the command that moves it aside', async () => {
    const o = await api<{ sources: { error: string | null }[] }>(v, '/api/overview');
    const file = path.join(dir, 'damaged', 'results.jsonl');
    expect(o.sources[0]!.error).toContain(`${file}:2: invalid JSON`);
    expect(o.sources[0]!.error).toContain(`\`codeseceval repair ${file}\` moves the bad lines to ${file}.rejected and keeps the rest`);
  });
});

