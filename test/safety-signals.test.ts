/**
 * Ctrl-C means stop (issue 9): the real CLI in its own process group, interrupted the way a
 * terminal does it (SIGINT to the whole group), at several points of a run. Every stop must
 * exit 130 (143 for SIGTERM), write no verdict for a sample cut short, leave no engine folder,
 * sandbox process or lock behind, and a rerun must end with the verdicts of a run that was
 * never interrupted.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { loadDataset } from '../src/benchmarks/index.js';
import type { Dataset } from '../src/core/task.js';
import { CODESECEVAL_DIR, describeWithDataset } from './helpers/datasets.js';
import { type FakeServer, promptOf, startFakeOpenAI } from './helpers/fake-openai.js';
import {
  cli,
  type Cli,
  engineFolders,
  exited,
  type Exit,
  jsonLines,
  killStarted,
  lineCount,
  processesMentioning,
  removeTempDirs,
  tempDir,
  waitFor,
} from './helpers/safety-cli.js';

// Two sound tasks, one whose Insecure Code loops until the timeout (a slow sample in both
// evaluate and validate), and one more.
const TASKS = ['CWE-020_codeql_4', 'CWE-276_01', 'CWE-835_author_1', 'CWE-20_01'];
const TIMEOUT = '3';

let ds: Dataset;
let server: FakeServer;
let work: string;
let slowReplay: string;

beforeAll(async () => {
  ds = loadDataset(CODESECEVAL_DIR);
  work = tempDir('cse-safety-signals-');
  // A model whose every answer sleeps before doing the right thing: samples in flight when
  // the interrupt lands, with a verdict (passed) that a cut-short run would get wrong.
  slowReplay = path.join(work, 'slow.jsonl');
  writeFileSync(
    slowReplay,
    TASKS.map((id) => JSON.stringify({ task_id: id, solution: `import time\ntime.sleep(2)\n${task(id).secureCode}` }) + '\n').join(''),
  );
  // A model server that takes its time, so requests are in flight when the interrupt lands.
  server = await startFakeOpenAI((req) => {
    const prompt = promptOf(req);
    const t = ds.tasks.find((x) => TASKS.includes(x.id) && prompt.includes(x.problem.trim()));
    return { text: `\`\`\`python\n${t?.secureCode ?? 'pass'}\n\`\`\``, delayMs: 1500 };
  });
});
afterEach(() => killStarted());
afterAll(async () => {
  killStarted();
  await server?.close();
  removeTempDirs();
});

function task(id: string) {
  const t = ds.tasks.find((x) => x.id === id);
  if (!t) throw new Error(`no task ${id}`);
  return t;
}

/** A fresh TMPDIR of the child's own, so leftovers are this test's and no one else's. */
function childTmp(name: string): string {
  const dir = path.join(work, `tmp-${name}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

function env(tmp: string, cache: string): Record<string, string> {
  return { TMPDIR: tmp, OPENAI_API_KEY: 'k', CODESECEVAL_DATASET: CODESECEVAL_DIR, CODESECEVAL_CACHE: cache };
}

function runArgs(out: string): string[] {
  // Two free references, a slow model (replay) and a model behind a server.
  const models = ['reference:secure', 'reference:insecure', `slow=replay:${slowReplay}`, 'openai:fake'];
  return [
    'run',
    ...models.flatMap((m) => ['--model', m]),
    '--base-url',
    server.baseURL,
    '--experiments',
    'direct-generation',
    '--tasks',
    TASKS.join(','),
    '--timeout',
    TIMEOUT,
    '--jobs',
    '2',
    '--out',
    out,
  ];
}

/** What a stop must leave: no engine folder, no sandbox process, no lock, only whole lines. */
async function expectCleanStop(exit: Exit, tmp: string, folder: string, code = 130): Promise<void> {
  expect(exit.signal, exit.stderr).toBeNull();
  expect(exit.code, exit.stderr).toBe(code);
  expect(exit.stderr).not.toMatch(/\n\s+at /);
  expect(engineFolders(tmp)).toEqual([]);
  // bwrap --die-with-parent ends the workers a moment after the tool: a process killed in the
  // middle of setting up its mounts can take seconds to go on a loaded machine.
  await waitFor(() => processesMentioning(tmp).length === 0, `sandbox processes under ${tmp} to end: ${processesMentioning(tmp).join('; ')}`, 15_000);
  expect(readdirSync(folder).filter((n) => n.endsWith('.lock'))).toEqual([]);
  for (const r of jsonLines(path.join(folder, 'results.jsonl'))) {
    expect(r.status, JSON.stringify(r).slice(0, 300)).not.toBe('killed');
  }
}

type Verdicts = Map<string, string>;

function verdicts(file: string): Verdicts {
  const lines = jsonLines(file);
  const map: Verdicts = new Map();
  for (const r of lines) {
    const key = `${String(r.model)}|${String(r.experiment)}|${String(r.task_id)}|${String(r.sample_index)}`;
    expect(map.has(key), `${key} twice in ${file}`).toBe(false);
    map.set(key, `${String(r.status)} ${String(r.passed)}`);
  }
  return map;
}

function sampleKeys(file: string): string[] {
  return jsonLines(file).map((s) => `${String(s.model)}|${String(s.experiment)}|${String(s.task_id)}|${String(s.sample_index)}`);
}

function validationVerdicts(file: string): Record<string, string> {
  const v = JSON.parse(readFileSync(file, 'utf8')) as { records: { task_id: string; verdict: string }[] };
  return Object.fromEntries(v.records.map((r) => [r.task_id, r.verdict]));
}

async function finish(run: Cli): Promise<Exit> {
  const exit = await exited(run);
  expect(exit.code, exit.stderr).toBe(0);
  return exit;
}

describeWithDataset('Ctrl-C (SIGINT to the process group) during run', () => {
  let baseline: Verdicts;
  let baselineValidation: Record<string, string>;

  beforeAll(async () => {
    const out = path.join(work, 'baseline');
    const tmp = childTmp('baseline');
    await finish(cli(runArgs(out), { env: env(tmp, path.join(work, 'cache-baseline')), group: true }));
    baseline = verdicts(path.join(out, 'results.jsonl'));
    baselineValidation = validationVerdicts(path.join(out, 'validation.json'));
    // 4 models x 4 tasks.
    expect(baseline.size).toBe(16);
    expect(engineFolders(tmp)).toEqual([]);
  }, 180_000);

  it('stops during generate, evaluate and validate; each rerun resumes; the end equals an uninterrupted run', async () => {
    const out = path.join(work, 'interrupted');
    const tmp = childTmp('interrupted');
    const e = env(tmp, path.join(work, 'cache-interrupted'));
    const samples = path.join(out, 'samples.jsonl');
    const results = path.join(out, 'results.jsonl');

    // 1. While the fake-server model's requests are in flight.
    const before = server.requests.length;
    const g = cli(runArgs(out), { env: e, group: true });
    await waitFor(() => server.requests.length > before, 'a request to the model server');
    g.signalGroup('SIGINT');
    const gExit = await exited(g);
    await expectCleanStop(gExit, tmp, out);
    expect(gExit.stderr).toMatch(/interrupted/);
    const keys = sampleKeys(samples);
    expect(new Set(keys).size).toBe(keys.length);
    // The requests in flight were waited for: their answers are recorded, never asked again.
    expect(gExit.stderr).toMatch(/stopping: waiting for \d+ request\(s\) in flight/);
    expect(keys.filter((k) => k.startsWith('openai:fake|')).length).toBeLessThanOrEqual(server.requests.length - before);
    expect(existsSync(results)).toBe(false);

    // 2. Mid-evaluation: some results written, slow samples in flight.
    const ev = cli(runArgs(out), { env: e, group: true });
    await waitFor(() => lineCount(results) >= 2, 'two results');
    ev.signalGroup('SIGINT');
    await expectCleanStop(await exited(ev), tmp, out);
    const partial = verdicts(results);
    expect(partial.size).toBeGreaterThan(0);
    expect(partial.size).toBeLessThan(16);
    // Whatever was kept is a verdict the uninterrupted run agrees with.
    for (const [k, v] of partial) expect(v, k).toBe(baseline.get(k));
    expect(existsSync(path.join(out, 'validation.json'))).toBe(false);

    // 3. Mid-validation: the dataset's own references are running in the sandbox.
    const va = cli(runArgs(out), { env: e, group: true });
    await waitFor(() => /checking the dataset's own/.test(va.stderr), 'the validate stage');
    await waitFor(() => processesMentioning(tmp).length > 0, 'a sandbox worker of the validate stage');
    va.signalGroup('SIGINT');
    await expectCleanStop(await exited(va), tmp, out);
    expect(existsSync(path.join(out, 'validation.json'))).toBe(false);
    expect(verdicts(results).size).toBe(16);

    // 4. The same command once more finishes the job.
    const last = await finish(cli(runArgs(out), { env: e, group: true }));
    expect(last.stdout).toMatch(/Reports:/);
    expect(engineFolders(tmp)).toEqual([]);
    expect(verdicts(results)).toEqual(baseline);
    expect(validationVerdicts(path.join(out, 'validation.json'))).toEqual(baselineValidation);
    const all = sampleKeys(samples);
    expect(all).toHaveLength(16);
    expect(new Set(all).size).toBe(16);
    // Nothing paid twice: one request per model sample, interruptions included.
    expect(server.requests.length - before).toBe(all.filter((k) => k.startsWith('openai:fake|')).length);
  }, 300_000);

  it('SIGTERM stops it the same way and exits 143', async () => {
    const out = path.join(work, 'sigterm');
    const tmp = childTmp('sigterm');
    const run = cli(runArgs(out), { env: env(tmp, path.join(work, 'cache-sigterm')), group: true });
    await waitFor(() => lineCount(path.join(out, 'results.jsonl')) >= 1, 'a result');
    run.signalGroup('SIGTERM');
    const exit = await exited(run);
    await expectCleanStop(exit, tmp, out, 143);
    expect(exit.stderr).toMatch(/terminated/);
    for (const [k, v] of verdicts(path.join(out, 'results.jsonl'))) expect(v, k).toBe(baseline.get(k));
  }, 180_000);

  it('a second SIGINT quits at once, still cleaning up', async () => {
    const out = path.join(work, 'twice');
    const tmp = childTmp('twice');
    const run = cli(runArgs(out), { env: env(tmp, path.join(work, 'cache-twice')), group: true });
    await waitFor(() => lineCount(path.join(out, 'results.jsonl')) >= 1, 'a result');
    // Back to back, as a user pressing Ctrl-C twice: the second lands while the first is handled.
    run.signalGroup('SIGINT');
    run.signalGroup('SIGINT');
    const exit = await exited(run);
    await expectCleanStop(exit, tmp, out);
    for (const [k, v] of verdicts(path.join(out, 'results.jsonl'))) expect(v, k).toBe(baseline.get(k));
    // And the folder is still good to resume.
    await finish(cli(runArgs(out), { env: env(tmp, path.join(work, 'cache-twice')), group: true }));
    expect(verdicts(path.join(out, 'results.jsonl'))).toEqual(baseline);
  }, 240_000);
});

describeWithDataset('Ctrl-C during evaluate and generate on their own', () => {
  it('evaluate: exits 130, keeps finished results, writes no cut-short verdict; a rerun completes them', async () => {
    const dir = tempDir('cse-safety-eval-int-');
    const tmp = childTmp('evaluate');
    const samples = path.join(dir, 'samples.jsonl');
    const out = path.join(dir, 'results.jsonl');
    const lines = [0, 1, 2, 3, 4, 5].map((i) =>
      JSON.stringify({ task_id: TASKS[0], sample_index: i, solution: `import time\ntime.sleep(1.5)\n${task(TASKS[0]!).secureCode}` }),
    );
    writeFileSync(samples, lines.join('\n') + '\n');
    const args = ['evaluate', '--samples', samples, '--out', out, '--jobs', '2', '--timeout', '20'];
    const e = { TMPDIR: tmp, CODESECEVAL_DATASET: CODESECEVAL_DIR, CODESECEVAL_CACHE: path.join(dir, 'cache') };
    const ev = cli(args, { env: e, group: true });
    await waitFor(() => lineCount(out) >= 1, 'a result');
    ev.signalGroup('SIGINT');
    await expectCleanStop(await exited(ev), tmp, dir);
    const kept = jsonLines(out);
    expect(kept.length).toBeLessThan(6);
    for (const r of kept) expect(r.status).toBe('passed');
    const rerun = await finish(cli(args, { env: e, group: true }));
    expect(rerun.stderr).toMatch(new RegExp(`${kept.length} kept from an earlier run`));
    const all = jsonLines(out);
    expect(all.map((r) => [r.sample_index, r.status]).sort((a, b) => (a[0] as number) - (b[0] as number))).toEqual([0, 1, 2, 3, 4, 5].map((i) => [i, 'passed']));
  }, 120_000);

  // A Ctrl-C while the tool waits on a probe of the interpreter must stop the tool, not kill the
  // probe and read as a broken interpreter (that was exit 1, "cannot run Python interpreter").
  it.each([
    ['the interpreter check', 'base_prefix'],
    ['the package probe', 'distribution'],
  ])('evaluate: Ctrl-C during %s exits 130, not "cannot run Python"', async (_what, marker) => {
    const dir = tempDir('cse-safety-probe-int-');
    const tmp = childTmp(`probe-${marker}`);
    // An interpreter slow to answer that one question, so the interrupt lands while the tool waits.
    const python = path.join(dir, 'slow-python');
    writeFileSync(python, `#!/bin/sh\ncase "$*" in *${marker}*) touch '${python}.asked'; sleep 2;; esac\nexec /usr/bin/python3 "$@"\n`, { mode: 0o755 });
    const samples = path.join(dir, 'samples.jsonl');
    writeFileSync(samples, JSON.stringify({ task_id: TASKS[0], solution: task(TASKS[0]!).secureCode }) + '\n');
    const out = path.join(dir, 'results.jsonl');
    const e = { TMPDIR: tmp, CODESECEVAL_DATASET: CODESECEVAL_DIR, CODESECEVAL_CACHE: path.join(dir, 'cache') };
    const ev = cli(['evaluate', '--samples', samples, '--out', out, '--python', python], { env: e, group: true });
    await waitFor(() => existsSync(`${python}.asked`), `${_what} to start`);
    ev.signalGroup('SIGINT');
    const exit = await exited(ev);
    await expectCleanStop(exit, tmp, dir);
    expect(exit.stderr).not.toMatch(/cannot (run|ask)/);
    expect(exit.stderr).toMatch(/interrupted/);
    expect(jsonLines(out)).toEqual([]);
  }, 90_000);

  it('evaluate: a second SIGINT quits at once, still removing the engine folder and the lock', async () => {
    const dir = tempDir('cse-safety-twice-');
    const tmp = childTmp('evaluate-twice');
    // The package probe takes its time: the tool is blocked waiting for it when both interrupts
    // arrive, so the second surely finds the first still being handled.
    const python = path.join(dir, 'stubborn-python');
    writeFileSync(
      python,
      `#!/bin/sh\ncase "$*" in *distribution*) touch '${python}.asked'; sleep 3;; esac\nexec /usr/bin/python3 "$@"\n`,
      { mode: 0o755 },
    );
    const samples = path.join(dir, 'samples.jsonl');
    writeFileSync(samples, JSON.stringify({ task_id: TASKS[0], solution: task(TASKS[0]!).secureCode }) + '\n');
    const out = path.join(dir, 'results.jsonl');
    const e = { TMPDIR: tmp, CODESECEVAL_DATASET: CODESECEVAL_DIR, CODESECEVAL_CACHE: path.join(dir, 'cache') };
    const ev = cli(['evaluate', '--samples', samples, '--out', out, '--python', python], { env: e, group: true });
    await waitFor(() => existsSync(`${python}.asked`), 'the package probe to start');
    expect(existsSync(`${out}.lock`)).toBe(true);
    expect(engineFolders(tmp)).toHaveLength(1);
    ev.signalGroup('SIGINT');
    await new Promise((r) => setTimeout(r, 200));
    ev.signalGroup('SIGINT');
    const exit = await exited(ev);
    expect(exit.stderr).toMatch(/SIGINT again: quitting now/);
    await expectCleanStop(exit, tmp, dir);
    expect(jsonLines(out)).toEqual([]);
  }, 90_000);

  it('generate: exits 130 with requests in flight; a rerun makes each missing sample once', async () => {
    const dir = tempDir('cse-safety-gen-int-');
    const tmp = childTmp('generate');
    const out = path.join(dir, 'samples.jsonl');
    const args = ['generate', '--model', 'openai:fake', '--base-url', server.baseURL, '--tasks', TASKS.join(','), '-n', '3', '--concurrency', '2', '--out', out];
    const e = { TMPDIR: tmp, OPENAI_API_KEY: 'k', CODESECEVAL_DATASET: CODESECEVAL_DIR, CODESECEVAL_CACHE: path.join(dir, 'cache') };
    const g = cli(args, { env: e, group: true });
    await waitFor(() => lineCount(out) >= 2, 'two samples');
    g.signalGroup('SIGINT');
    const exit = await exited(g);
    expect(exit.signal).toBeNull();
    expect(exit.code, exit.stderr).toBe(130);
    expect(readdirSync(dir).filter((n) => n.endsWith('.lock'))).toEqual([]);
    const first = sampleKeys(out);
    expect(first.length).toBeLessThan(12);
    await finish(cli(args, { env: e, group: true }));
    const all = sampleKeys(out);
    expect(all).toHaveLength(12);
    expect(new Set(all).size).toBe(12);
    expect(all.slice(0, first.length)).toEqual(first);
  }, 120_000);
});
