/**
 * Benchmark of `report`: synthesises results for 10 models x 4 experiments x 180 tasks x 10
 * samples (72,000 lines) on the real dataset's task IDs, then times the report in each format
 * in a fresh child process and prints seconds and peak RSS. Target: under 5 s per format.
 *
 *   npm run bench:report [-- --dataset DIR] [--keep]
 */
import { fork } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDataset } from '../src/benchmarks/index.js';
import { buildReport, reportChunks, type ReportFormat } from '../src/report/index.js';
import { writeFileAtomic } from '../src/io/write.js';
import { mulberry32 } from '../src/score/rng.js';
import { PACKAGE_ROOT } from '../src/io/paths.js';
import { PAPER_EXPERIMENTS } from '../src/core/experiments.js';
import type { Dataset } from '../src/core/task.js';

const MODELS = 10;
const SAMPLES = 10;
const FORMATS: ReportFormat[] = ['md', 'json', 'html'];

function datasetDir(): string {
  const i = process.argv.indexOf('--dataset');
  if (i !== -1 && process.argv[i + 1]) return process.argv[i + 1]!;
  return process.env.CODESECEVAL_DATASET ?? path.join(PACKAGE_ROOT, '..', 'shared', 'datasets', 'codeseceval');
}

/** Plausible results: each model and experiment has its own skill, each task its own difficulty. */
async function synthesise(dataset: Dataset, file: string): Promise<number> {
  const rng = mulberry32(42);
  const out = createWriteStream(file);
  let lines = 0;
  const difficulty = new Map(dataset.tasks.map((t) => [t.id, rng()]));
  for (let m = 0; m < MODELS; m++) {
    const model = `synthetic:model-${String(m + 1).padStart(2, '0')}`;
    for (const [e, experiment] of PAPER_EXPERIMENTS.entries()) {
      const skill = 0.2 + 0.06 * m + 0.05 * e;
      for (const task of dataset.tasks) {
        const p = Math.min(0.95, Math.max(0.02, skill + 0.5 - difficulty.get(task.id)!));
        for (let s = 0; s < SAMPLES; s++) {
          const passed = rng() < p;
          const roll = rng();
          const status = passed ? 'passed' : roll < 0.7 ? 'failed' : roll < 0.95 ? 'error' : 'timeout';
          const line = {
            task_id: task.id,
            sample_index: s,
            model,
            experiment,
            passed,
            status,
            detail: passed ? 'check passed' : status === 'failed' ? 'AssertionError at line 7' : status === 'error' ? 'NameError: name \'os\' is not defined' : 'timed out after 10 s',
            duration_ms: Math.round(20 + rng() * 300),
            stdout_tail: '',
            stderr_tail: passed ? '' : 'Traceback (most recent call last):\n  File "prog.py", line 12, in check\nAssertionError\n',
            // Real code sizes: the reference programs stand in for model output, made distinct
            // per sample as a sampled model's answers are.
            solution: `${passed ? task.secureCode : (task.insecureCode ?? task.secureCode)}\n# sample ${s} of ${model}\n`,
            raw: '',
            extraction: 'fenced-block',
          };
          if (!out.write(`${JSON.stringify(line)}\n`)) await once(out, 'drain');
          lines++;
        }
      }
    }
  }
  out.end();
  await once(out, 'finish');
  return lines;
}

async function child(format: ReportFormat, resultsFile: string, outFile: string, dir: string): Promise<void> {
  const t0 = performance.now();
  const dataset = loadDataset(dir);
  const report = await buildReport({ resultsFiles: [resultsFile], dataset, compare: true, drilldown: format === 'html' ? Infinity : 0 });
  await writeFileAtomic(outFile, await reportChunks(report, format));
  const seconds = (performance.now() - t0) / 1000;
  process.send!({ seconds, maxRssKb: process.resourceUsage().maxRSS });
}

async function main(): Promise<void> {
  if (process.argv[2] === '--child') {
    await child(process.argv[3] as ReportFormat, process.argv[4]!, process.argv[5]!, process.argv[6]!);
    return;
  }
  const dir = datasetDir();
  const dataset = loadDataset(dir);
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'codeseceval-bench-report-'));
  const resultsFile = path.join(tmp, 'results.jsonl');
  const t0 = performance.now();
  const lines = await synthesise(dataset, resultsFile);
  console.log(
    `synthesised ${lines} result lines (${MODELS} models x ${PAPER_EXPERIMENTS.length} experiments x ${dataset.tasks.length} tasks x ${SAMPLES} samples), ` +
      `${(statSync(resultsFile).size / 2 ** 20).toFixed(1)} MiB, in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  console.log('report(s): load dataset, read, score (with --compare), render, write; process(s): the same plus Node and tsx start-up');
  console.log('format  report(s)  process(s)  peak RSS(MiB)  output(MiB)   (target: report < 5 s)');
  for (const format of FORMATS) {
    const outFile = path.join(tmp, `report.${format}`);
    const start = performance.now();
    const proc = fork(fileURLToPath(import.meta.url), ['--child', format, resultsFile, outFile, dir], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let msg: { seconds: number; maxRssKb: number } | undefined;
    proc.on('message', (m) => (msg = m as typeof msg));
    const [code] = (await once(proc, 'exit')) as [number | null];
    const wall = (performance.now() - start) / 1000;
    if (code !== 0 || !msg) throw new Error(`report in ${format} failed (exit ${code})`);
    console.log(
      `${format.padEnd(6)}  ${msg.seconds.toFixed(2).padStart(9)}  ${wall.toFixed(2).padStart(10)}  ${(msg.maxRssKb / 1024).toFixed(0).padStart(13)}  ${(statSync(outFile).size / 2 ** 20).toFixed(1).padStart(11)}`,
    );
  }
  if (process.argv.includes('--keep')) console.log(`files kept in ${tmp}`);
  else rmSync(tmp, { recursive: true, force: true });
}

await main();
