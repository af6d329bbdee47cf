import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { evaluateSamples } from '../src/evaluate/evaluate.js';
import { generateSamples } from '../src/generate/generate.js';
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
