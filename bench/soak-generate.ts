/**
 * Soak of `generate` against a flaky server: every task of the real dataset, n samples each,
 * model openai:fake on a server on 127.0.0.1 that answers every 7th request with 429 (with
 * Retry-After) or 500, alternately, and the task's Secure Code otherwise. Prints samples
 * written, duplicates and missing (both must be 0), requests, retries and wall time.
 *
 *   npm run bench:soak [-- --dataset DIR] [--n 2] [--concurrency 8] [--keep]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDataset } from '../src/benchmarks/index.js';
import type { Dataset, Task } from '../src/core/task.js';
import { generateSamples } from '../src/generate/generate.js';
import { PACKAGE_ROOT } from '../src/io/paths.js';
import { benchFlags, countFlag } from './args.js';
import { type FakeReply, type RecordedRequest, promptOf, startFakeOpenAI } from '../test/helpers/fake-openai.js';

export interface SoakOptions {
  dataset: Dataset;
  /** Samples per task; the run makes tasks × n samples. */
  n: number;
  /** Only the first `tasks` tasks (all by default). */
  tasks?: number;
  concurrency: number;
  /** Retry-After the 429s carry, in seconds (as a string, as on the wire); none when undefined. */
  retryAfter?: string;
  /** Shorter backoff for the test suite. */
  retryBackoff?: { baseDelayMs: number; maxDelayMs: number };
  outDir: string;
}

export interface SoakFigures {
  expected: number;
  written: number;
  duplicates: number;
  missing: number;
  /** Lines with `error` set: samples that failed for good. */
  failed: number;
  requests: number;
  /** Requests answered 429/500, each followed by a retry. */
  retries: number;
  wallMs: number;
}

/** The task a prompt was rendered from (its Problem is in it). */
function taskIndex(dataset: Dataset): (req: RecordedRequest) => Task {
  const byProblem = dataset.tasks.map((t) => [t.problem.trim(), t] as const);
  return (req) => {
    const text = promptOf(req);
    const hit = byProblem.find(([p]) => text.includes(p));
    if (!hit) throw new Error('soak server: a prompt that names no task of the dataset');
    return hit[1];
  };
}

export async function runSoak(o: SoakOptions): Promise<SoakFigures> {
  const tasks = o.dataset.tasks.slice(0, o.tasks ?? o.dataset.tasks.length);
  const taskOf = taskIndex(o.dataset);
  let failures = 0;
  const server = await startFakeOpenAI((req, i): FakeReply => {
    if (i % 7 === 6) {
      failures++;
      return failures % 2
        ? { status: 429, headers: o.retryAfter ? { 'retry-after': o.retryAfter } : {}, json: { error: { message: 'rate limited' } } }
        : { status: 500, json: { error: { message: 'internal error' } } };
    }
    return { text: `\`\`\`python\n${taskOf(req).secureCode}\n\`\`\`\n` };
  });
  const outFile = path.join(o.outDir, 'samples.jsonl');
  const started = performance.now();
  try {
    await generateSamples({
      dataset: o.dataset,
      model: 'openai:fake',
      outFile,
      n: o.n,
      tasks: tasks.map((t) => t.id),
      concurrency: o.concurrency,
      baseURL: server.baseURL,
      env: { OPENAI_API_KEY: 'none' },
      cacheDir: null,
      ...(o.retryBackoff ? { retryBackoff: o.retryBackoff } : {}),
    });
  } finally {
    await server.close();
  }
  const wallMs = Math.round(performance.now() - started);
  const lines = readFileSync(outFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { task_id: string; sample_index: number; experiment: string; error: string | null });
  const seen = new Map<string, number>();
  for (const l of lines) {
    const key = `${l.task_id}|${l.experiment}|${l.sample_index}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  let missing = 0;
  for (const t of tasks) for (let i = 0; i < o.n; i++) if (!seen.has(`${t.id}|direct-generation|${i}`)) missing++;
  return {
    expected: tasks.length * o.n,
    written: lines.length,
    duplicates: lines.length - seen.size,
    missing,
    failed: lines.filter((l) => l.error !== null).length,
    requests: server.requests.length,
    retries: failures,
    wallMs,
  };
}


async function main(): Promise<void> {
  const flags = benchFlags({ dataset: { type: 'string' }, n: { type: 'string' }, concurrency: { type: 'string' }, keep: { type: 'boolean' } });
  const dir = flags.dataset ?? process.env.CODESECEVAL_DATASET ?? path.join(PACKAGE_ROOT, '..', 'shared', 'datasets', 'codeseceval');
  const dataset = loadDataset(dir);
  const outDir = mkdtempSync(path.join(os.tmpdir(), 'cse-soak-'));
  const n = countFlag(flags.n, '--n', 2);
  const concurrency = countFlag(flags.concurrency, '--concurrency', 8);
  try {
    const f = await runSoak({ dataset, n, concurrency, retryAfter: '1', outDir });
    const rows: [string, string | number][] = [
      ['samples expected', f.expected],
      ['samples written', f.written],
      ['duplicates', f.duplicates],
      ['missing', f.missing],
      ['failed (error set)', f.failed],
      ['requests', f.requests],
      ['retries', f.retries],
      ['wall time', `${(f.wallMs / 1000).toFixed(1)} s`],
    ];
    for (const [k, v] of rows) process.stdout.write(`${k.padEnd(20)} ${v}\n`);
    const ok = f.duplicates === 0 && f.missing === 0 && f.failed === 0 && f.written === f.expected;
    process.stdout.write(ok ? 'OK: every sample exactly once\n' : 'FAILED: samples lost, failed or duplicated\n');
    if (!ok) process.exitCode = 1;
  } finally {
    if (flags.keep) process.stdout.write(`kept ${outDir}\n`);
    else rmSync(outDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
