import { appendFileSync, readdirSync, readFileSync, writeFileSync, mkdirSync, symlinkSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadDataset } from '../src/benchmarks/index.js';
import type { Dataset } from '../src/core/task.js';
import type { JsonReport } from '../src/report/json.js';
import { registerView } from '../src/cli/view.js';
import { staticDir } from '../src/view/server.js';
import { runCliInProcess } from './helpers/cli.js';
import { CODESECEVAL_DIR, describeWithDataset } from './helpers/datasets.js';
import { tempDir } from './helpers/report.js';
import { INJECTED, INJECTED_TASK, makeReferenceRun, startViewer, VIEW_BROKEN, writeInjectedRun, type Viewer } from './helpers/view-run.js';

const SECURE = 'reference|reference:secure|direct-generation';
const INSECURE = 'reference|reference:insecure|direct-generation';

/** A raw GET: the path goes to the server exactly as written (fetch would resolve `..`). */
function get(url: string, rawPath: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path: rawPath, method: 'GET', headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function api<T>(viewer: Viewer, p: string): Promise<T> {
  const r = await get(viewer.url, p);
  expect(r.status, `${p}: ${r.body}`).toBe(200);
  return JSON.parse(r.body) as T;
}

interface Overview {
  version: number;
  runs: { key: string; model: string; samples: number; subsets: { pass_at_k: Record<string, number | null>; broken_tasks: number }[]; split: { subsets: { vulnerable_rate: number | null }[] } | null }[];
  sources: { label: string; results: number; samples: number | null; error: string | null; broken: number | null }[];
  suggestions: { a: string; b: string }[];
}
interface Tasks {
  rows: { id: string; broken: boolean; n: number; c: number; verdicts: Record<string, number> }[];
  facets: Record<string, { value: string; tasks: number }[]>;
  samples: number;
}
type Lines = [string, string][][];
interface Sample {
  program: Lines;
  diff: { secure: [string, number][]; insecure: [string, number][] | null };
  stdout_tail: string;
  raw: string | null;
  summary: { status: string; verdict: string | null; fail_line: number | null; failed_security: number[] };
}

const joined = (lines: Lines) => lines.map((l) => l.map((t) => t[1]).join('')).join('\n');

describeWithDataset('codeseceval view: server and data', () => {
  let ds: Dataset;
  let runs: string;
  let viewer: Viewer;

  beforeAll(async () => {
    ds = loadDataset(CODESECEVAL_DIR);
    process.env.CODESECEVAL_CACHE = tempDir('codeseceval-view-cache-');
    runs = tempDir('codeseceval-view-runs-');
    await makeReferenceRun(ds, path.join(runs, 'reference'));
    writeInjectedRun(path.join(runs, 'injected'));
    viewer = await startViewer([runs], ds);
  });

  afterAll(async () => {
    await viewer?.close();
  });

  it('binds 127.0.0.1 by default and sends a Content-Security-Policy with every answer', async () => {
    expect((viewer.server.server.address() as net.AddressInfo).address).toBe('127.0.0.1');
    for (const p of ['/', '/static/main.js', '/static/style.css', '/api/overview', '/api/version', '/nope']) {
      const r = await get(viewer.url, p);
      expect(r.headers['content-security-policy'], p).toContain("default-src 'none'");
      expect(r.headers['content-security-policy'], p).toContain("script-src 'self'");
      expect(r.headers['x-content-type-options'], p).toBe('nosniff');
    }
    const index = await get(viewer.url, '/');
    expect(index.body).toContain('<script type="module" src="/static/main.js">');
    // Nothing from elsewhere: no absolute URL in the page or its assets.
    for (const name of readdirSync(staticDir())) {
      const text = readFileSync(path.join(staticDir(), name), 'utf8');
      expect(text.replaceAll('http://www.w3.org/2000/svg', ''), name).not.toMatch(/https?:\/\//);
      // The browser code never parses strings as HTML.
      expect(text, name).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/);
    }
  });

  it('serves only its own assets and the given run files: no path traversal', async () => {
    const ok = await get(viewer.url, '/files/reference/results.jsonl');
    expect(ok.status).toBe(200);
    expect(ok.body).toBe(readFileSync(path.join(runs, 'reference', 'results.jsonl'), 'utf8'));
    const report = await get(viewer.url, '/files/reference/report.html');
    expect(report.status).toBe(200);
    expect(report.headers['content-security-policy']).toContain('sandbox');
    for (const p of [
      '/static/../package.json',
      '/static/..%2f..%2fpackage.json',
      '/static/%2e%2e/%2e%2e/package.json',
      '/static/../../../../etc/passwd',
      '/static/',
      '/static/dom.js/../main.js/x',
      '/files/reference/../../../etc/passwd',
      '/files/reference/..%2f..%2f..%2fetc%2fpasswd',
      '/files/reference/%2e%2e%2freference%2fresults.jsonl',
      '/files/reference/report.json/..',
      '/files/reference/sub/results.jsonl',
      '/files/..%2freference/results.jsonl',
      '/files/nope/results.jsonl',
      '/files/injected/samples.jsonl',
      '/package.json',
      '//etc/passwd',
      '/src/view/server.ts',
    ]) {
      const r = await get(viewer.url, p);
      expect(r.status, p).toBe(404);
      expect(r.body, p).not.toContain('root:');
      expect(r.body, p).not.toContain('"name": "codeseceval"');
    }
    const post = await new Promise<number>((resolve, reject) => {
      const u = new URL(viewer.url);
      const req = http.request({ host: u.hostname, port: u.port, path: '/api/overview', method: 'POST' }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end('x');
    });
    expect(post).toBe(405);
  });

  it('answers only requests addressed to the loopback names (no DNS rebinding)', async () => {
    const port = viewer.server.port;
    expect((await get(viewer.url, '/api/version', { Host: `localhost:${port}` })).status).toBe(200);
    expect((await get(viewer.url, '/api/version', { Host: `evil.example:${port}` })).status).toBe(403);
    expect((await get(viewer.url, '/api/overview', { Host: 'evil.example' })).status).toBe(403);
  });

  it('moves to the next port when the one asked for is busy', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const busy = (blocker.address() as net.AddressInfo).port;
    try {
      const other = await startViewer([path.join(runs, 'reference')], ds, { port: busy });
      try {
        expect(other.server.port).toBeGreaterThan(busy);
        expect(other.server.port).toBeLessThan(busy + 50);
        expect((await get(other.url, '/api/version')).status).toBe(200);
      } finally {
        await other.close();
      }
    } finally {
      blocker.close();
    }
  });

  it('gives the overview with the scores `report` computes, broken tasks and the split', async () => {
    const o = await api<Overview>(viewer, '/api/overview');
    expect(o.runs.map((r) => r.key).sort()).toEqual([`injected|${INJECTED.model}|direct-generation`, INSECURE, SECURE].sort());
    const json = JSON.parse(readFileSync(path.join(runs, 'reference', 'report.json'), 'utf8')) as JsonReport;
    for (const key of [SECURE, INSECURE]) {
      const run = o.runs.find((r) => r.key === key)!;
      const reported = json.runs.find((r) => r.model === run.model)!;
      expect(run.samples).toBe(reported.samples);
      expect(run.subsets[0]!.pass_at_k['1']).toBe(reported.subsets[0]!.pass_at_k['1']);
      expect(run.subsets[0]!.broken_tasks).toBe(1);
    }
    // The insecure reference works but is vulnerable on every task that can tell.
    expect(o.runs.find((r) => r.key === INSECURE)!.split!.subsets[0]!.vulnerable_rate).toBe(1);
    expect(o.runs.find((r) => r.key === SECURE)!.split!.subsets[0]!.vulnerable_rate).toBe(0);
    // A suggested pair in either direction: results are written in the order samples finish.
    expect(o.suggestions.map((p) => [p.a, p.b].sort())).toContainEqual([SECURE, INSECURE].sort());
    const ref = o.sources.find((s) => s.label === 'reference')!;
    expect(ref).toMatchObject({ results: 20, samples: 20, error: null, broken: 1 });
  });

  it('filters tasks by run, CWE (either spelling), verdict and broken, with counts that follow', async () => {
    const all = await api<Tasks>(viewer, '/api/tasks');
    expect(all.rows).toHaveLength(5);
    const cwe = await api<Tasks>(viewer, '/api/tasks?cwe=CWE-079');
    expect(cwe.rows.map((r) => r.id).sort()).toEqual(['CWE-079_codeql_1', 'CWE-79_01']);
    expect(cwe.facets.cwe!.find((f) => f.value === 'CWE-20')!.tasks).toBe(1);
    expect(cwe.facets.subset!.find((f) => f.value === 'SecEvalPlus')!.tasks).toBe(1);
    const hidden = await api<Tasks>(viewer, '/api/tasks?broken=hide');
    expect(hidden.rows.map((r) => r.id)).not.toContain(VIEW_BROKEN);
    const only = await api<Tasks>(viewer, `/api/tasks?broken=only&run=${encodeURIComponent(SECURE)}`);
    expect(only.rows.map((r) => r.id)).toEqual([VIEW_BROKEN]);
    const vuln = await api<Tasks>(viewer, `/api/tasks?verdict=vulnerable&run=${encodeURIComponent(SECURE)}`);
    expect(vuln.rows).toHaveLength(0);
    const vulnInsecure = await api<Tasks>(viewer, `/api/tasks?verdict=vulnerable&model=reference:insecure`);
    expect(vulnInsecure.rows.length).toBeGreaterThan(0);
    for (const r of vulnInsecure.rows) expect(r.verdicts.vulnerable).toBeGreaterThan(0);
    // Free text reaches the programs: only the hand-written sample holds this.
    const q = await api<Tasks>(viewer, `/api/tasks?q=${encodeURIComponent('__PWNED = "script"')}`);
    expect(q.rows.map((r) => r.id)).toEqual([INJECTED_TASK]);
    expect(q.rows[0]!.n).toBe(1 + 2 + 2);
    expect((await get(viewer.url, '/api/tasks?status=nonsense')).status).toBe(400);
  });

  it('gives one sample in full: tokens that rebuild the program exactly, diffs, outputs', async () => {
    const line = readFileSync(path.join(runs, 'reference', 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((r) => r.model === 'reference:insecure' && r.task_id === 'CWE-020_codeql_4' && r.sample_index === 1)!;
    const s = await api<Sample>(viewer, `/api/sample?run=${encodeURIComponent(INSECURE)}&task=CWE-020_codeql_4&index=1`);
    expect(joined(s.program)).toBe(line.solution);
    expect(s.summary.verdict).toBe('vulnerable');
    expect(s.summary.failed_security.length).toBeGreaterThan(0);
    // Against its own reference the insecure program has no change; against the secure one it has.
    expect(s.diff.insecure!.every(([op]) => op === ' ')).toBe(true);
    expect(s.diff.secure.some(([op]) => op !== ' ')).toBe(true);
    const inj = await api<Sample>(viewer, `/api/sample?run=${encodeURIComponent(`injected|${INJECTED.model}|direct-generation`)}&task=${INJECTED_TASK}&index=0`);
    expect(joined(inj.program)).toContain(INJECTED.script);
    expect(inj.stdout_tail).toBe(INJECTED.script);
    expect(inj.summary.fail_line).toBe(3);
    expect((await get(viewer.url, `/api/sample?run=${encodeURIComponent(SECURE)}&task=CWE-020_codeql_4&index=9`)).status).toBe(404);
    expect((await get(viewer.url, '/api/task?id=no-such-task')).status).toBe(404);
  });

  it('compares two runs with the paired difference of `report --compare`', async () => {
    const c = await api<{ per_k: { k: number; diff: number; ci: [number, number] }[]; rows: { id: string; flip: string }[]; tasks: number }>(
      viewer,
      `/api/compare?a=${encodeURIComponent(SECURE)}&b=${encodeURIComponent(INSECURE)}`,
    );
    const json = JSON.parse(readFileSync(path.join(runs, 'reference', 'report.json'), 'utf8')) as JsonReport;
    const reported = json.comparisons.find((x) => x.a.model === 'reference:secure' && x.b.model === 'reference:insecure')!;
    expect(c.tasks).toBe(reported.tasks);
    expect(c.per_k[0]!.diff).toBeCloseTo(reported.k['1']!.diff, 12);
    expect(c.per_k[0]!.ci).toEqual(reported.k['1']!.ci);
    expect(c.rows.filter((r) => r.flip === 'a-only').length).toBe(4);
  });

  it('follows files as they grow: new lines, a torn last line, a new run folder, a bad line', async () => {
    const file = path.join(runs, 'injected', 'results.jsonl');
    const first = JSON.parse(readFileSync(file, 'utf8').trim()) as Record<string, unknown>;
    const v0 = viewer.data.version;
    const next = JSON.stringify({ ...first, sample_index: 1, passed: true, status: 'passed', detail: 'check passed' });
    appendFileSync(file, next.slice(0, 40));
    viewer.data.refresh();
    const runKey = `injected|${INJECTED.model}|direct-generation`;
    expect(viewer.data.run(runKey)!.samples).toBe(1);
    appendFileSync(file, `${next.slice(40)}\n`);
    viewer.data.refresh();
    expect(viewer.data.run(runKey)!.samples).toBe(2);
    expect(viewer.data.version).toBeGreaterThan(v0);
    const v1 = (await api<{ version: number }>(viewer, '/api/version')).version;
    const same = await get(viewer.url, '/api/version', { 'If-None-Match': `"v${v1}"` });
    expect(same.status).toBe(304);

    // A run started after the viewer: it shows up.
    const late = path.join(runs, 'late');
    mkdirSync(late);
    writeFileSync(path.join(late, 'results.jsonl'), `${JSON.stringify({ ...first, model: 'late-model' })}\n`);
    viewer.data.refresh();
    expect(viewer.data.run('late|late-model|direct-generation')!.samples).toBe(1);

    // Its samples file is counted as it grows, a line once it is complete (blank lines are not samples).
    const samples = path.join(late, 'samples.jsonl');
    const sampleCount = async () => (await api<Overview>(viewer, '/api/overview')).sources.find((s) => s.label === 'late')!.samples;
    writeFileSync(samples, '{"x":1}\n\n{"x":2}\n{"x"');
    viewer.data.refresh();
    expect(await sampleCount()).toBe(2);
    appendFileSync(samples, ':3}\n');
    viewer.data.refresh();
    expect(await sampleCount()).toBe(3);

    // A line that is not a result stops that run folder with one line naming file and line.
    appendFileSync(path.join(late, 'results.jsonl'), '{"task_id": "CWE-020_codeql_4"}\n');
    viewer.data.refresh();
    const o = await api<Overview>(viewer, '/api/overview');
    expect(o.sources.find((s) => s.label === 'late')!.error).toMatch(new RegExp(`${path.join(late, 'results.jsonl').replaceAll('/', '\\/')}:2: `));
    expect(o.sources.find((s) => s.label === 'reference')!.error).toBeNull();
  });

  it('refuses a missing run folder with one line and exit code 1', async () => {
    const out = await runCliInProcess(registerView, ['view', '/no/such/run', '--dataset', CODESECEVAL_DIR]);
    expect(out.exitCode).toBe(1);
    expect(out.stderr.trim().split('\n')).toEqual(['codeseceval: /no/such/run: no such file or folder']);
    const bad = await runCliInProcess(registerView, ['view', runs, '--port', 'x', '--dataset', CODESECEVAL_DIR]);
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toContain('--port must be a port from 0 to 65535, got "x"');
  });
});

describeWithDataset('codeseceval view: symlinks in a run folder', () => {
  it('never reads or serves a run file that is a symlink, even to a good results file', async () => {
    const ds = loadDataset(CODESECEVAL_DIR);
    const root = tempDir('codeseceval-view-link-');
    const outside = path.join(root, 'outside');
    await makeReferenceRun(ds, outside);
    const runs = path.join(root, 'runs');
    mkdirSync(path.join(runs, 'linked'), { recursive: true });
    symlinkSync(path.join(outside, 'results.jsonl'), path.join(runs, 'linked', 'results.jsonl'));
    symlinkSync(path.join(outside, 'report.html'), path.join(runs, 'linked', 'report.html'));
    const viewer = await startViewer([runs], ds);
    try {
      for (const p of ['/files/linked/results.jsonl', '/files/linked/report.html']) {
        const r = await get(viewer.url, p);
        expect(r.status, p).toBe(404);
      }
      const overview = await api<Overview>(viewer, '/api/overview');
      expect(overview.runs).toHaveLength(0);
      // The same file named directly by the user is read: the link is theirs.
      const direct = await startViewer([path.join(runs, 'linked', 'results.jsonl')], ds);
      try {
        expect((await api<Overview>(direct, '/api/overview')).runs.length).toBeGreaterThan(0);
      } finally {
        await direct.close();
      }
    } finally {
      await viewer.close();
    }
  });
});
