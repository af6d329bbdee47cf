import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { evaluateSamples } from '../src/evaluate/evaluate.js';
import { generateSamples } from '../src/generate/generate.js';
import { mergeShards } from '../src/merge/merge.js';
import { runPipeline } from '../src/run/run.js';
import { environmentFileFor } from '../src/core/environment.js';
import { shardFile } from '../src/core/shard.js';
import { makeTask } from './helpers/task.js';
import type { Dataset, Task } from '../src/core/task.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'codeseceval-shard-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const add = makeTask({ id: 'T/add', fixtureName: 'T_add', entryPoint: 'add', problem: 'def add(a, b):\n', test: 'def check(candidate):\n    assert candidate(2, 3) == 5\n' });
const dataset: Dataset = { kind: 'codeseceval', source: 'test', tasks: [add], byId: new Map<string, Task>([[add.id, add]]) };

// Twelve samples, every third one wrong, over two models.
const samples = path.join(dir, 'samples.jsonl');
writeFileSync(
  samples,
  Array.from({ length: 12 }, (_, i) =>
    JSON.stringify({ task_id: 'T/add', model: `m${i % 2}`, experiment: 'direct-generation', sample_index: i, solution: `def add(a, b):\n    return a ${i % 3 === 0 ? '-' : '+'} b\n` }),
  ).join('\n') + '\n',
);
const verdicts = (file: string) =>
  Object.fromEntries(
    readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { model: string; sample_index: number; status: string })
      .map((r) => [`${r.model}#${r.sample_index}`, r.status]),
  );

describe('evaluate --shard', () => {
  it('splits the samples over the shard files, each with its own environment record; together they are the unsharded verdicts', async () => {
    const whole = path.join(dir, 'whole.jsonl');
    await evaluateSamples({ samplesFile: samples, outFile: whole, dataset, jobs: 2 });
    const out = path.join(dir, 'results.jsonl');
    const union: Record<string, string> = {};
    for (let index = 0; index < 3; index++) {
      const summary = await evaluateSamples({ samplesFile: samples, outFile: out, dataset, jobs: 2, shard: { index, count: 3 } });
      const file = shardFile(out, { index, count: 3 });
      expect(summary.outFile).toBe(file);
      const env = JSON.parse(readFileSync(environmentFileFor(file), 'utf8'));
      expect(env.records.at(-1).shard).toMatchObject({ index, count: 3, samples: summary.total, samples_file: samples });
      for (const [k, v] of Object.entries(verdicts(file))) {
        expect(union[k]).toBeUndefined();
        union[k] = v;
      }
    }
    expect(existsSync(out)).toBe(false);
    expect(union).toEqual(verdicts(whole));
  });
});

describe('generate --shard', () => {
  it('makes each sample in exactly one shard file; resumed, a shard makes nothing twice', async () => {
    const sub = makeTask({ id: 'T/sub', fixtureName: 'T_sub', entryPoint: 'sub', problem: 'def sub(a, b):\n', secureCode: 'def sub(a, b):\n    return a - b\n', test: 'def check(candidate):\n    assert candidate(3, 2) == 1\n' });
    const ds: Dataset = { kind: 'codeseceval', source: 'test-gen', tasks: [add, sub], byId: new Map<string, Task>([[add.id, add], [sub.id, sub]]) };
    const out = path.join(dir, 'gen', 'samples.jsonl');
    const keys = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => { const s = JSON.parse(l); return `${s.task_id}#${s.sample_index}`; });
    const seen: string[] = [];
    for (let index = 0; index < 4; index++) {
      const shard = { index, count: 4 };
      const first = await generateSamples({ dataset: ds, model: 'reference:secure', outFile: out, n: 9, cacheDir: null, shard });
      expect(first.outFile).toBe(shardFile(out, shard));
      const again = await generateSamples({ dataset: ds, model: 'reference:secure', outFile: out, n: 9, cacheDir: null, shard });
      expect(again.total).toBe(0);
      expect(again.alreadyDone).toBe(first.done);
      seen.push(...keys(first.outFile));
    }
    expect(existsSync(out)).toBe(false);
    expect(seen.sort()).toEqual([...Array(9).keys()].flatMap((i) => [`T/add#${i}`, `T/sub#${i}`]).sort());
  });
});

describe('run --shard', () => {
  it('makes and evaluates one shard per call in one folder; merged, the unsharded run validates and reports without making anything again', async () => {
    const sub = makeTask({ id: 'T/sub', fixtureName: 'T_sub', entryPoint: 'sub', problem: 'def sub(a, b):\n', secureCode: 'def sub(a, b):\n    return a - b\n', insecureCode: 'def sub(a, b):\n    return b - a\n', test: 'def check(candidate):\n    assert candidate(3, 2) == 1\n' });
    const plus = { ...add, secureCode: 'def add(a, b):\n    return a + b\n', insecureCode: 'def add(a, b):\n    return a - b\n' };
    const ds: Dataset = { kind: 'codeseceval', source: 'test-run', tasks: [plus, sub], byId: new Map<string, Task>([[plus.id, plus], [sub.id, sub]]) };
    const folder = path.join(dir, 'run');
    const common = { dataset: ds, models: ['reference:insecure'], outDir: folder, experiments: ['direct-generation' as const], engine: { jobs: 2 } };
    for (const index of [0, 1]) {
      const s = await runPipeline({ ...common, generate: { n: 4, cacheDir: null, shard: { index, count: 2 } } });
      expect(s.shard?.results).toBe(path.join(folder, `results.shard-${index}-of-2.jsonl`));
      expect(s.report).toBeNull();
    }
    expect(existsSync(path.join(folder, 'validation.json'))).toBe(false);
    await mergeShards({ files: [0, 1].map((i) => path.join(folder, `samples.shard-${i}-of-2.jsonl`)), out: path.join(folder, 'samples.jsonl') });
    await mergeShards({ files: [0, 1].map((i) => path.join(folder, `results.shard-${i}-of-2.jsonl`)), out: path.join(folder, 'results.jsonl') });
    const whole = await runPipeline({ ...common, generate: { n: 4, cacheDir: null } });
    expect(whole.generated[0]).toMatchObject({ total: 0, alreadyDone: 8 });
    expect(whole.evaluated).toMatchObject({ total: 8, resumed: 8 });
    expect(whole.report).not.toBeNull();
    expect(existsSync(path.join(folder, 'report.md'))).toBe(true);
  }, 120_000);
});
