/**
 * npm run bench — the engine against a plain one-fresh-python3-per-sample runner.
 *
 * Evaluates the 360 reference samples (Secure and Insecure Code of every record) ROUNDS
 * times over with each, at the same parallelism, and prints samples/second, the ratio, peak
 * memory (RSS of this process and all its descendants) and whether verdicts agree.
 *
 *   npm run bench -- [--benchmark NAME] [--dataset DIR] [--rounds 5] [--jobs N] [--timeout 10] [--exclude ID,...]
 *
 * `--benchmark sallm|cweval` measures a test-file benchmark: its references (SALLM's insecure
 * module, CWEval's reference solution) against a plain `python3 -m unittest` / `python3 -m
 * pytest` run per sample, the way upstream's scripts run them.
 */
import { readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import pLimit from 'p-limit';
import { parseArgs } from 'node:util';
import { benchmarkOf, loadDataset, preloadFor, taskJob } from '../src/benchmarks/index.js';
import { defaultJobs, Engine } from '../src/sandbox/engine.js';
import { runPlain, runPlainTestFile } from './plain-runner.js';

const { values } = parseArgs({
  options: {
    benchmark: { type: 'string', default: 'codeseceval' },
    dataset: { type: 'string' },
    rounds: { type: 'string', default: '5' },
    jobs: { type: 'string' },
    timeout: { type: 'string', default: '10' },
    only: { type: 'string' },
    exclude: { type: 'string' },
  },
});
const rounds = Number(values.rounds);
const jobs = values.jobs ? Number(values.jobs) : defaultJobs();
const timeoutSec = Number(values.timeout);
const bench = benchmarkOf(values.benchmark!);
const dataset = loadDataset(values.dataset ?? (process.env[bench.datasetEnv] || `../shared/datasets/${bench.kind}`));
const testFiles = bench.protocol !== 'check';
// --exclude ID,ID: leave out tasks whose own computation dominates (CWEval's key generation).
const excluded = new Set((values.exclude ?? '').split(',').filter(Boolean));
const reference = dataset.tasks.filter((t) => !excluded.has(t.id)).flatMap((task) => [
  // SALLM has no secure reference (loaded as '').
  ...(task.secureCode ? [{ task, program: task.secureCode }] : []),
  ...(task.insecureCode !== null ? [{ task, program: task.insecureCode }] : []),
]);
const work = Array.from({ length: rounds }, () => reference).flat();

/** Peak RSS of this process tree, sampled every 100 ms from /proc. */
function treeRssMb(): number {
  const parent = new Map<number, number>();
  const rss = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(entry), Number(fields[1]));
      rss.set(Number(entry), Number(fields[21]) * 4096);
    } catch {
      /* exited meanwhile */
    }
  }
  let total = 0;
  for (const [pid, bytes] of rss) {
    for (let p: number | undefined = pid; p && p > 1; p = parent.get(p)) {
      if (p === process.pid) {
        total += bytes;
        break;
      }
    }
  }
  return total / 2 ** 20;
}

async function measure<T>(fn: () => Promise<T>): Promise<{ value: T; seconds: number; peakMb: number }> {
  let peak = 0;
  const timer = setInterval(() => (peak = Math.max(peak, treeRssMb())), 100);
  const t0 = performance.now();
  const value = await fn();
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(timer);
  return { value, seconds, peakMb: Math.max(peak, treeRssMb()) };
}

console.log(`${bench.label}${excluded.size ? ` without ${[...excluded].join(', ')}` : ''}: ${reference.length} reference samples × ${rounds} rounds = ${work.length} samples, ${jobs} at once, timeout ${timeoutSec} s, ${os.availableParallelism()} cores`);

const mode = values.only;
/** Per-sample seconds of each run, by task, for the slowest-task shares. */
const engineSeconds: number[] = [];
const plainSeconds: number[] = [];
let engineRun: Awaited<ReturnType<typeof measure<boolean[]>>> | undefined;
if (mode !== 'plain') {
  engineRun = await measure(async () => {
    // What `codeseceval evaluate` gives these tasks' runners to import before forking.
    const engine = new Engine({ jobs, timeoutSec, preload: preloadFor(work.map((s) => s.task)) });
    try {
      const results = await engine.run(work.map((s) => taskJob(s.task, s.program)));
      results.forEach((r, i) => (engineSeconds[i] = r.durationMs / 1000));
      return results.map((r) => r.status === 'passed');
    } finally {
      engine.close();
    }
  });
  console.log(`engine (bwrap sandbox, fork per sample): ${(work.length / engineRun.seconds).toFixed(1)} samples/s (${engineRun.seconds.toFixed(1)} s), peak RSS ${engineRun.peakMb.toFixed(0)} MiB`);
}
let plainRun: Awaited<ReturnType<typeof measure<boolean[]>>> | undefined;
if (mode !== 'engine') {
  const limit = pLimit(jobs);
  const python = new Engine({ jobs: 1 }).interpreter.path;
  const one = async (s: (typeof work)[number], i: number) => {
    const job = taskJob(s.task, s.program);
    const t0 = performance.now();
    const passed = await (job.harness === 'test-file' ? runPlainTestFile(python, job, timeoutSec) : runPlain(python, s.task, s.program, timeoutSec));
    plainSeconds[i] = (performance.now() - t0) / 1000;
    return passed;
  };
  plainRun = await measure(() => Promise.all(work.map((s, i) => limit(() => one(s, i)))));
  const how = testFiles ? `fresh \`python3 -m ${bench.protocol}\` per sample` : 'fresh python3 per sample';
  console.log(`plain (${how}, no sandbox): ${(work.length / plainRun.seconds).toFixed(1)} samples/s (${plainRun.seconds.toFixed(1)} s), peak RSS ${plainRun.peakMb.toFixed(0)} MiB`);
}
if (engineRun && plainRun) {
  console.log(`speed-up: ${(plainRun.seconds / engineRun.seconds).toFixed(2)}x (target ≥ ${testFiles ? 3 : 5}x)`);
  const differ = work.map((s, i) => ({ s, e: engineRun!.value[i], p: plainRun!.value[i] })).filter((x) => x.e !== x.p);
  console.log(`verdicts: ${work.length - differ.length}/${work.length} identical (passed/not passed)`);
  const seen = new Set<string>();
  for (const d of differ) {
    const key = `${d.s.task.id}:${d.s.task.secureCode && d.s.program === d.s.task.secureCode ? 'secure' : 'insecure'}`;
    if (seen.has(key)) continue;
    seen.add(key);
    console.log(`  differs: ${key} engine=${d.e ? 'pass' : 'fail'} plain=${d.p ? 'pass' : 'fail'}`);
  }
}

if (plainRun) printSlowestShare();

/**
 * Amdahl, made visible: the share of the plain runner's sample time spent in its slowest
 * tasks. When that time is the tasks' own computation (CWEval's key generation), the engine
 * spends it too, and no runner can make the whole set faster than 1 / share.
 */
function printSlowestShare(): void {
  const byTask = (seconds: number[]) => {
    const m = new Map<string, number>();
    work.forEach((s, i) => m.set(s.task.id, (m.get(s.task.id) ?? 0) + (seconds[i] ?? 0)));
    return m;
  };
  const plain = byTask(plainSeconds);
  const total = [...plain.values()].reduce((a, b) => a + b, 0);
  if (!total) return;
  const slowest = [...plain.entries()].sort((a, b) => b[1] - a[1]).slice(0, 3);
  const share = slowest.reduce((a, [, v]) => a + v, 0) / total;
  const pct = (x: number) => `${(100 * x).toFixed(0)} %`;
  console.log(`plain runner's sample time in its 3 slowest tasks: ${pct(share)} (${slowest.map(([id, v]) => `${id} ${pct(v / total)}`).join(', ')})`);
  if (engineSeconds.length) {
    const engine = byTask(engineSeconds);
    const engineTotal = [...engine.values()].reduce((a, b) => a + b, 0);
    const engineSlow = slowest.reduce((a, [id]) => a + (engine.get(id) ?? 0), 0);
    if (engineTotal) console.log(`engine's sample time in the same tasks: ${pct(engineSlow / engineTotal)}`);
  }
  console.log(`if those tasks took as long on any runner, the whole set could not run more than ${(1 / share).toFixed(1)}x faster than plain`);
  // A run lasts at least as long as its longest sample, whatever runs beside it.
  const longest = (seconds: number[]) => {
    const i = seconds.reduce((best, v, k) => (v > (seconds[best] ?? 0) ? k : best), 0);
    return `${(seconds[i] ?? 0).toFixed(1)} s (${work[i]?.task.id})`;
  };
  console.log(`longest single sample: ${engineSeconds.length ? `engine ${longest(engineSeconds)}, ` : ''}plain ${longest(plainSeconds)}`);
}
