/**
 * One writer per file (issue 9): two real processes on one output. The second gets one line
 * naming the holder and exit 1; the first finishes with every sample exactly once. A lock
 * left by a process killed outright is taken over.
 */
import { existsSync, linkSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { loadDataset } from '../src/benchmarks/index.js';
import type { Dataset } from '../src/core/task.js';
import { CODESECEVAL_DIR, describeWithDataset } from './helpers/datasets.js';
import { type FakeServer, promptOf, startFakeOpenAI } from './helpers/fake-openai.js';
import { cli, type Exit, jsonLines, killStarted, lineCount, removeTempDirs, tempDir, waitFor } from './helpers/safety-cli.js';

const TASKS = ['CWE-020_codeql_4', 'CWE-276_01'];

let ds: Dataset;
let server: FakeServer;
let dir: string;
/** The fake server holds every answer until this opens. */
let gate: Promise<void> = Promise.resolve();
let openGate: () => void = () => {};

beforeAll(async () => {
  ds = loadDataset(CODESECEVAL_DIR);
  dir = tempDir('cse-safety-locks-');
  server = await startFakeOpenAI(async (req) => {
    await gate;
    const prompt = promptOf(req);
    const t = ds.tasks.find((x) => TASKS.includes(x.id) && prompt.includes(x.problem.trim()));
    return { text: `\`\`\`python\n${t?.secureCode ?? 'pass'}\n\`\`\`` };
  });
});
afterEach(() => killStarted());
afterAll(async () => {
  killStarted();
  await server?.close();
  removeTempDirs();
});

const env = (extra: Record<string, string> = {}) => ({
  CODESECEVAL_DATASET: CODESECEVAL_DIR,
  CODESECEVAL_CACHE: path.join(dir, 'cache'),
  OPENAI_API_KEY: 'k',
  // A SIGKILLed engine cannot remove its folder: keep it out of the shared /tmp.
  TMPDIR: dir,
  ...extra,
});

/** Samples that each sleep a while and then pass, so a run holds its lock for seconds. */
function slowSamples(file: string, count: number, sleep = 3): string {
  const t = ds.tasks.find((x) => x.id === TASKS[0])!;
  const lines = Array.from({ length: count }, (_, i) =>
    JSON.stringify({ task_id: t.id, sample_index: i, solution: `import time\ntime.sleep(${sleep})\n${t.secureCode}` }),
  );
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

function expectRefusedBy(exit: Exit, holder: number, target: string): void {
  expect(exit.code, exit.stderr).toBe(1);
  expect(exit.stderr.trim().split('\n'), exit.stderr).toHaveLength(1);
  expect(exit.stderr).toMatch(new RegExp(`${path.basename(target).replace(/\./g, '\\.')} is in use by pid ${holder} on `));
  expect(exit.stderr).not.toMatch(/\n\s+at /);
}

function keysOf(file: string): string[] {
  return jsonLines(file).map((s) => `${String(s.model)}|${String(s.experiment)}|${String(s.task_id)}|${String(s.sample_index)}`);
}

describeWithDataset('one writer per file', () => {
  it('two evaluates on one --out: the second is refused naming the first; the file ends whole, each sample once', async () => {
    const samples = slowSamples(path.join(dir, 'eval-samples.jsonl'), 6);
    const out = path.join(dir, 'eval-results.jsonl');
    const args = ['evaluate', '--samples', samples, '--out', out, '--jobs', '2'];
    const first = cli(args, { env: env() });
    await waitFor(() => existsSync(`${out}.lock`), 'the first evaluate to take its lock');
    const second = await cli(args, { env: env() }).done;
    expectRefusedBy(second, first.pid, out);
    // Refused under --fresh as well: that would have emptied the file under the first.
    expectRefusedBy(await cli([...args, '--fresh'], { env: env() }).done, first.pid, out);
    const done = await first.done;
    expect(done.code, done.stderr).toBe(0);
    const lines = jsonLines(out);
    expect(lines.map((r) => [r.sample_index, r.status]).sort((a, b) => Number(a[0]) - Number(b[0]))).toEqual([0, 1, 2, 3, 4, 5].map((i) => [i, 'passed']));
    expect(existsSync(`${out}.lock`)).toBe(false);
  }, 120_000);

  it('two evaluates whose --out are hard links of one file: the second is refused in one line naming the first', async () => {
    const samples = slowSamples(path.join(dir, 'hard-samples.jsonl'), 6);
    const out = path.join(dir, 'hard-results.jsonl');
    writeFileSync(out, '');
    mkdirSync(path.join(dir, 'other'), { recursive: true });
    const linked = path.join(dir, 'other', 'hard-linked.jsonl');
    linkSync(out, linked);
    const first = cli(['evaluate', '--samples', samples, '--out', out, '--jobs', '2'], { env: env() });
    await waitFor(() => existsSync(`${out}.lock`), 'the first evaluate to take its lock');
    const second = await cli(['evaluate', '--samples', samples, '--out', linked, '--jobs', '2'], { env: env() }).done;
    expect(second.code, second.stderr).toBe(1);
    expect(second.stderr.trim().split('\n'), second.stderr).toHaveLength(1);
    expect(second.stderr).toContain(`${linked} is in use through ${out} (the same file: a hard link or another mount of it) by pid ${first.pid} on `);
    const done = await first.done;
    expect(done.code, done.stderr).toBe(0);
    // One writer: each sample once, the file whole under both names.
    expect(jsonLines(out).map((r) => r.sample_index).sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(readFileSync(linked, 'utf8')).toBe(readFileSync(out, 'utf8'));
  }, 120_000);

  it('two evaluates whose --out are a file and a symlink to it: the second is refused in one line naming the first', async () => {
    const samples = slowSamples(path.join(dir, 'sym-samples.jsonl'), 6);
    const out = path.join(dir, 'sym-results.jsonl');
    const link = path.join(dir, 'other', 'sym-link.jsonl');
    mkdirSync(path.dirname(link), { recursive: true });
    symlinkSync(out, link);
    const first = cli(['evaluate', '--samples', samples, '--out', link, '--jobs', '2'], { env: env() });
    await waitFor(() => existsSync(`${out}.lock`), 'the first evaluate to take its lock');
    const second = await cli(['evaluate', '--samples', samples, '--out', out, '--jobs', '2'], { env: env() }).done;
    expectRefusedBy(second, first.pid, out);
    expect(second.stderr).toContain(`(codeseceval evaluate, since `);
    const done = await first.done;
    expect(done.code, done.stderr).toBe(0);
    expect(jsonLines(out).map((r) => r.sample_index).sort()).toEqual([0, 1, 2, 3, 4, 5]);
  }, 120_000);

  it('two generates on one --out: the second is refused; each sample once, each paid for once', async () => {
    const out = path.join(dir, 'gen-samples.jsonl');
    const args = ['generate', '--model', 'openai:fake', '--base-url', server.baseURL, '--tasks', TASKS.join(','), '-n', '3', '--concurrency', '2', '--no-cache', '--out', out];
    const before = server.requests.length;
    gate = new Promise((resolve) => (openGate = resolve));
    const first = cli(args, { env: env() });
    await waitFor(() => existsSync(`${out}.lock`) && server.requests.length > before, 'the first generate to take its lock and ask');
    const second = await cli(args, { env: env() }).done;
    openGate();
    expectRefusedBy(second, first.pid, out);
    const done = await first.done;
    expect(done.code, done.stderr).toBe(0);
    const keys = keysOf(out);
    expect(keys).toHaveLength(6);
    expect(new Set(keys).size).toBe(6);
    expect(server.requests.length - before).toBe(6);
    expect(existsSync(`${out}.lock`)).toBe(false);
  }, 120_000);

  it('two runs on one folder: the second is refused naming the first', async () => {
    const replay = slowSamples(path.join(dir, 'run-replay.jsonl'), 4);
    const out = path.join(dir, 'run-folder');
    const args = ['run', '--model', `replay:${replay}`, '--experiments', 'direct-generation', '--tasks', TASKS[0]!, '--jobs', '2', '--out', out];
    const first = cli(args, { env: env() });
    await waitFor(() => existsSync(path.join(out, 'run.lock')), 'the first run to take its lock');
    const second = await cli(args, { env: env() }).done;
    expectRefusedBy(second, first.pid, path.join(out, 'run'));
    const done = await first.done;
    expect(done.code, done.stderr).toBe(0);
    expect(jsonLines(path.join(out, 'results.jsonl')).map((r) => r.status)).toEqual(['passed', 'passed', 'passed', 'passed']);
  }, 120_000);

  it('a lock left by a process killed with SIGKILL is taken over; the rerun finishes each sample once', async () => {
    const samples = slowSamples(path.join(dir, 'stale-samples.jsonl'), 6);
    const out = path.join(dir, 'stale-results.jsonl');
    const args = ['evaluate', '--samples', samples, '--out', out, '--jobs', '2'];
    const first = cli(args, { env: env(), group: true });
    await waitFor(() => lineCount(out) >= 1, 'a first result');
    first.signalGroup('SIGKILL');
    const killed = await first.done;
    expect(killed.signal).toBe('SIGKILL');
    // Left behind, naming the dead process.
    const lock = JSON.parse(readFileSync(`${out}.lock`, 'utf8')) as { pid: number };
    expect(lock.pid).toBe(first.pid);
    const rerun = await cli(args, { env: env() }).done;
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(jsonLines(out).map((r) => [r.sample_index, r.status]).sort((a, b) => Number(a[0]) - Number(b[0]))).toEqual([0, 1, 2, 3, 4, 5].map((i) => [i, 'passed']));
    expect(existsSync(`${out}.lock`)).toBe(false);
  }, 120_000);
});
