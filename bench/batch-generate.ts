/**
 * `generate --batch` at the size of a real run: every task of the dataset, the paper's four
 * experiments, n samples each, through a fake OpenAI Batch server on 127.0.0.1 (Files +
 * Batches; the batch ends at its third status check). Prints samples written, duplicates
 * and missing (both must be 0), batches created, requests per batch, the ledger's size and
 * the wall time of the whole run (gathering, upload, polling, reading, writing).
 *
 *   npm run bench:batch [-- --dataset DIR] [--n 10] [--max-requests N] [--keep]
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadDataset } from '../src/benchmarks/index.js';
import { PAPER_EXPERIMENTS } from '../src/core/experiments.js';
import { generateSamples } from '../src/generate/generate.js';
import { PACKAGE_ROOT } from '../src/io/paths.js';
import { benchFlags, countFlag } from './args.js';
import { startFakeBatchServer, userTextOf } from '../test/helpers/fake-batch.js';


async function main(): Promise<void> {
  const flags = benchFlags({ dataset: { type: 'string' }, n: { type: 'string' }, 'max-requests': { type: 'string' }, keep: { type: 'boolean' } });
  const dir = flags.dataset ?? process.env.CODESECEVAL_DATASET ?? path.join(PACKAGE_ROOT, '..', 'shared', 'datasets', 'codeseceval');
  const dataset = loadDataset(dir);
  const n = countFlag(flags.n, '--n', 10);
  const maxRequests = flags['max-requests'];
  const problems = dataset.tasks.map((t) => [t.problem.trim(), t] as const);
  const server = await startFakeBatchServer('openai', {
    answer: (body) => {
      const text = userTextOf(body);
      const task = problems.find(([p]) => text.includes(p))?.[1];
      return { text: `\`\`\`python\n${task?.secureCode ?? 'pass'}\n\`\`\`\n` };
    },
    plan: () => ({ polls: 2 }),
  });
  const outDir = mkdtempSync(path.join(os.tmpdir(), 'cse-batch-bench-'));
  const outFile = path.join(outDir, 'samples.jsonl');
  const started = performance.now();
  try {
    const summary = await generateSamples({
      dataset,
      model: 'openai:fake',
      outFile,
      n,
      experiments: [...PAPER_EXPERIMENTS],
      baseURL: server.baseURL,
      env: { OPENAI_API_KEY: 'none', CODESECEVAL_BATCH_POLL_MS: '20', ...(maxRequests ? { CODESECEVAL_BATCH_MAX_REQUESTS: maxRequests } : {}) },
      cacheDir: path.join(outDir, 'cache'),
      batch: true,
    });
    const wallMs = performance.now() - started;
    const lines = readFileSync(outFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { task_id: string; experiment: string; sample_index: number; delivery?: string });
    const keys = new Set(lines.map((l) => `${l.task_id}|${l.experiment}|${l.sample_index}`));
    const expected = dataset.tasks.length * PAPER_EXPERIMENTS.length * n;
    const rows: [string, string | number][] = [
      ['samples expected', expected],
      ['samples written', lines.length],
      ['duplicates', lines.length - keys.size],
      ['missing', expected - keys.size],
      ['made by batch', lines.filter((l) => l.delivery === 'batch').length],
      ['requests by batch', summary.batched],
      ['batches created', server.batches.length],
      ['requests per batch', server.batches.map((b) => b.requests.length).join(', ')],
      ['ledger size', `${(statSync(`${outFile}.batches.json`).size / 1024).toFixed(0)} KiB`],
      ['wall time', `${(wallMs / 1000).toFixed(1)} s`],
    ];
    for (const [k, v] of rows) process.stdout.write(`${k.padEnd(20)} ${v}\n`);
    const ok = lines.length === expected && keys.size === expected;
    process.stdout.write(ok ? 'OK: every sample exactly once\n' : 'FAILED: samples lost or duplicated\n');
    if (!ok) process.exitCode = 1;
  } finally {
    await server.close();
    if (flags.keep) process.stdout.write(`kept ${outDir}\n`);
    else rmSync(outDir, { recursive: true, force: true });
  }
}

await main();
