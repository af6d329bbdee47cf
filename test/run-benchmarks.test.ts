import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadDataset, mergeDatasets } from '../src/benchmarks/index.js';
import { UserError } from '../src/core/errors.js';
import type { Dataset } from '../src/core/task.js';
import { openDatasets } from '../src/dataset/locate.js';
import { datasetIdentity } from '../src/evaluate/environment.js';
import type { JsonReport } from '../src/report/json.js';
import { runPipeline } from '../src/run/run.js';
import { type FakeServer, promptOf, startFakeOpenAI } from './helpers/fake-openai.js';
import { tempDir } from './helpers/report.js';

/**
 * One run over three benchmarks: one samples file, one results file, one validation file and
 * one report that opens with a models × benchmarks table and a pooled row.
 */
const FIXTURES = path.resolve(import.meta.dirname, 'fixtures');
const MINI = ['codeseceval-mini', 'sallm-mini', 'cweval-mini'].map((d) => path.join(FIXTURES, d));

let pooled: Dataset;
let server: FakeServer;
const dirs: string[] = [];
beforeAll(async () => {
  pooled = mergeDatasets(MINI.map((d) => loadDataset(d)));
  // The model answers every task with the reference it has: the insecure one where there is one.
  server = await startFakeOpenAI((req) => {
    const text = promptOf(req);
    const t = pooled.tasks.find((x) => text.includes(x.problem.trim().slice(0, 200)))!;
    return { text: `\`\`\`python\n${t.insecureCode ?? t.secureCode}\n\`\`\`` };
  });
});
afterAll(async () => {
  await server.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('several benchmarks at once', () => {
  it('merges datasets, one per benchmark, keeping their parts; refuses two of one benchmark', () => {
    expect(pooled.kind).toBe('pooled');
    expect(pooled.parts!.map((p) => p.kind)).toEqual(['codeseceval', 'sallm', 'cweval']);
    expect(pooled.tasks).toHaveLength(pooled.parts!.reduce((n, p) => n + p.tasks.length, 0));
    expect(pooled.untestable!.map((u) => u.id)).toEqual(['Assertion_Author_A_cwe306_9', 'cwe_078_9']);
    expect(() => mergeDatasets([loadDataset(MINI[1]!), loadDataset(MINI[1]!)])).toThrow(/two sallm datasets/);
    // Each part is hashed with its own files, so the pooled hash follows every one of them.
    expect(datasetIdentity(pooled).content_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(datasetIdentity(pooled).files).toBe(pooled.parts!.reduce((n, p) => n + datasetIdentity(p).files, 0));
  });

  it('--benchmark finds each benchmark not given by --dataset, and refuses a --dataset it does not name', () => {
    vi.stubEnv('CODESECEVAL_CWEVAL', MINI[2]!);
    try {
      const ds = openDatasets([MINI[1]!], 'sallm,cweval');
      expect(ds.parts!.map((p) => p.kind)).toEqual(['sallm', 'cweval']);
      expect(() => openDatasets([MINI[0]!], 'sallm')).toThrow(UserError);
      expect(() => openDatasets([MINI[0]!], 'sallm')).toThrow(/is a codeseceval dataset, which --benchmark sallm does not name/);
      expect(() => openDatasets(undefined, 'nosuch')).toThrow(/unknown benchmark "nosuch"/);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('refuses an experiment a benchmark has no data for, naming the benchmark and the field, before any request', async () => {
    const dir = tempDir('cse-run-refuse-');
    dirs.push(dir);
    const { generateSamples } = await import('../src/generate/generate.js');
    const before = server.requests.length;
    await expect(
      generateSamples({ dataset: pooled.parts![1]!, model: 'openai:ref-coder', outFile: path.join(dir, 's.jsonl'), experiments: ['explained-repair'], baseURL: server.baseURL, env: { OPENAI_API_KEY: 'k' }, cacheDir: null }),
    ).rejects.toThrow(/needs Insecure Code Explanation, which SALLM task Assertion_Author_A_cwe020_9 lacks/);
    await expect(
      generateSamples({ dataset: pooled.parts![2]!, model: 'openai:ref-coder', outFile: path.join(dir, 's2.jsonl'), experiments: ['direct-repair'], baseURL: server.baseURL, env: { OPENAI_API_KEY: 'k' }, cacheDir: null }),
    ).rejects.toThrow(/needs Insecure Code, which CWEval task cwe_020_9 lacks/);
    expect(server.requests.length).toBe(before);
  });

  it('runs them into one folder; the report opens with models × benchmarks and a pooled row', async () => {
    const dir = tempDir('cse-run-bench-');
    dirs.push(dir);
    const summary = await runPipeline({
      dataset: pooled,
      models: ['openai:ref-coder'],
      outDir: dir,
      experiments: ['direct-generation'],
      generate: { baseURL: server.baseURL, env: { OPENAI_API_KEY: 'k' }, cacheDir: null, maxRetries: 0 },
    });
    expect(summary.interrupted).toBe(false);
    expect(summary.evaluated).toMatchObject({ total: pooled.tasks.length });
    const md = readFileSync(summary.files.md, 'utf8');
    const firstTable = md.indexOf('## ');
    expect(md.slice(firstTable)).toMatch(/^## Models × benchmarks/);
    const table = md.slice(firstTable).split('\n## ')[0]!;
    expect(table.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| Benchmark') && !l.startsWith('| ---')).map((l) => l.split(' | ')[0])).toEqual([
      '| CodeSecEval',
      '| SALLM',
      '| CWEval',
      '| Pooled (all tasks)',
    ]);
    const j = JSON.parse(readFileSync(summary.files.json, 'utf8')) as JsonReport;
    const run = j.runs[0]!;
    expect(run.subsets.map((g) => `${g.group} ${g.tasks}`)).toEqual([`Pooled ${pooled.tasks.length}`, `CodeSecEval ${pooled.parts![0]!.tasks.length}`, 'SALLM 2', 'CWEval 1']);
    // The insecure SALLM modules fail, CWEval's reference passes: the case scores say why.
    const sallm = run.cases!.subsets.find((g) => g.group === 'SALLM')!;
    expect(sallm).toMatchObject({ func_at_k: { '1': 1 }, vulnerable_at_k: { '1': 1 }, secure_at_k: { '1': 0 } });
    const cweval = run.cases!.subsets.find((g) => g.group === 'CWEval')!;
    expect(cweval).toMatchObject({ func_sec_at_k: { '1': 1 } });
  });
});
