import { appendFileSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { environmentFileFor, EnvironmentFile } from '../src/core/environment.js';
import { shardFile, shardKey, shardOfKey } from '../src/core/shard.js';
import { evaluateSamples } from '../src/evaluate/evaluate.js';
import { mergeShards } from '../src/merge/merge.js';
import { makeTask } from './helpers/task.js';
import type { Dataset, Task } from '../src/core/task.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'codeseceval-merge-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const add = makeTask({ id: 'T/add', fixtureName: 'T_add', entryPoint: 'add', problem: 'def add(a, b):\n', test: 'def check(candidate):\n    assert candidate(2, 3) == 5\n' });
const dataset: Dataset = { kind: 'codeseceval', source: 'test-merge', tasks: [add], byId: new Map<string, Task>([[add.id, add]]) };

// 28 samples over two models and two experiments: passing, failing, erroring and timing out.
const BODIES = ['return a + b', 'return a - b', 'raise ValueError("no")', 'return b + a'];
const samples = path.join(dir, 'samples.jsonl');
writeFileSync(
  samples,
  Array.from({ length: 28 }, (_, i) =>
    JSON.stringify({ task_id: 'T/add', model: `m${i % 2}`, experiment: i % 3 ? 'direct-generation' : 'vuln-aware-generation', sample_index: i, solution: `def add(a, b):\n    ${BODIES[i % 4]}\n` }),
  ).join('\n') + '\n',
);

type Verdicts = Record<string, string>;
function verdicts(file: string): Verdicts {
  const out: Verdicts = {};
  for (const l of readFileSync(file, 'utf8').split('\n').filter(Boolean)) {
    const r = JSON.parse(l) as { model: string; experiment: string; sample_index: number; status: string };
    const k = `${r.model}/${r.experiment}#${r.sample_index}`;
    expect(out[k]).toBeUndefined();
    out[k] = r.status;
  }
  return out;
}

describe('merge', () => {
  let whole: Verdicts;

  it('N = 1, 2, 4, 7 merged shards give the unsharded verdicts, after a Ctrl-C and a kill in between', async () => {
    const unsharded = path.join(dir, 'whole.jsonl');
    await evaluateSamples({ samplesFile: samples, outFile: unsharded, dataset, jobs: 2 });
    whole = verdicts(unsharded);
    expect(Object.keys(whole)).toHaveLength(28);
    for (const count of [1, 2, 4, 7]) {
      const base = path.join(dir, `n${count}`, 'results.jsonl');
      const files = Array.from({ length: count }, (_, index) => shardFile(base, { index, count }));
      for (let index = 0; index < count; index++) {
        const shard = { index, count };
        if (index === count - 1) {
          // Stopped (Ctrl-C) after its first result: the shard is unfinished.
          const stop = new AbortController();
          const s = await evaluateSamples({ samplesFile: samples, outFile: base, dataset, jobs: 1, shard, signal: stop.signal, onProgress: (p) => p.phase === 'evaluate' && stop.abort() });
          expect(s.interrupted).toBe(true);
        } else {
          await evaluateSamples({ samplesFile: samples, outFile: base, dataset, jobs: 2, shard });
        }
      }
      // A kill mid-write leaves a torn last line in shard 0.
      appendFileSync(files[0]!, '{"task_id": "T/add", "sample_ind');
      const out = path.join(dir, `n${count}`, 'merged.jsonl');
      await expect(mergeShards({ files, out })).rejects.toThrow(/shard 0\/\d+ is unfinished \(its last line was cut short\)/);
      if (count > 1) {
        await expect(mergeShards({ files: files.slice(1), out })).rejects.toThrow(/missing 1 of \d+ shards: 0 /);
        appendFileSync(files[0]!, '\n');
        rmSync(files[0]!);
        rmSync(environmentFileFor(files[0]!));
        await evaluateSamples({ samplesFile: samples, outFile: base, dataset, jobs: 2, shard: { index: 0, count } });
        await expect(mergeShards({ files, out })).rejects.toThrow(new RegExp(`shard ${count - 1}/${count} is unfinished \\(1 of \\d+ results\\)`));
      }
      expect(existsSync(out)).toBe(false);
      // Resumed: each shard finishes what it lacks and keeps what it had.
      for (let index = 0; index < count; index++) {
        const s = await evaluateSamples({ samplesFile: samples, outFile: base, dataset, jobs: 2, shard: { index, count } });
        expect(s.interrupted).toBe(false);
        if (index === count - 1) expect(s.resumed).toBe(1);
      }
      const summary = await mergeShards({ files: [...files].reverse(), out });
      expect(summary).toMatchObject({ kind: 'results', shards: count, lines: 28 });
      expect(verdicts(out)).toEqual(whole);
      const env = EnvironmentFile.parse(JSON.parse(readFileSync(environmentFileFor(out), 'utf8')));
      const covered = env.records.flatMap((r) => r.lines.flatMap(([a, b]) => Array.from({ length: b - a + 1 }, (_, i) => a + i)));
      expect(covered.sort((a, b) => a - b)).toEqual(Array.from({ length: 28 }, (_, i) => i + 1));
      for (const r of env.records) expect(r.shard).toBeUndefined();
    }
  }, 240_000);

  it('refuses shards given twice, of other counts, renamed, from another samples file or another environment, naming the files', async () => {
    const base = path.join(dir, 'n2', 'results.jsonl');
    const [a, b] = [0, 1].map((index) => shardFile(base, { index, count: 2 }));
    const out = path.join(dir, 'refused.jsonl');
    await expect(mergeShards({ files: [a!, a!, b!], out })).rejects.toThrow(/both shard 0\/2/);
    await expect(mergeShards({ files: [a!, shardFile(path.join(dir, 'n4', 'results.jsonl'), { index: 1, count: 4 })], out })).rejects.toThrow(/mixed inputs: .*one of 2 shards, .*one of 4/);
    // A copy whose name says another shard than its record.
    const odd = path.join(dir, 'odd');
    mkdirSync(odd);
    const renamed = path.join(odd, 'results.shard-1-of-2.jsonl');
    copyFileSync(a!, renamed);
    copyFileSync(environmentFileFor(a!), environmentFileFor(renamed));
    await expect(mergeShards({ files: [a!, renamed], out })).rejects.toThrow(/its name says shard 1\/2 but its environment record says 0\/2/);
    // Another interpreter version in shard 1's record.
    const other = path.join(dir, 'other');
    mkdirSync(other);
    const b2 = path.join(other, path.basename(b!));
    copyFileSync(b!, b2);
    const env = JSON.parse(readFileSync(environmentFileFor(b!), 'utf8'));
    env.records.at(-1).interpreter.version = '2.7.18';
    writeFileSync(environmentFileFor(b2), JSON.stringify(env));
    await expect(mergeShards({ files: [a!, b2], out })).rejects.toThrow(/mixed inputs: .*results.shard-0-of-2.jsonl and .*other.*results.shard-1-of-2.jsonl were evaluated under different environments \(interpreter.version/);
    env.records.at(-1).interpreter.version = JSON.parse(readFileSync(environmentFileFor(b!), 'utf8')).records.at(-1).interpreter.version;
    env.records.at(-1).shard.samples_sha256 = '0'.repeat(64);
    writeFileSync(environmentFileFor(b2), JSON.stringify(env));
    await expect(mergeShards({ files: [a!, b2], out })).rejects.toThrow(/were evaluated from different samples files/);
    // A samples shard beside a results shard.
    writeFileSync(path.join(other, 'samples.shard-0-of-2.jsonl'), readFileSync(samples, 'utf8').split('\n')[0] + '\n');
    await expect(mergeShards({ files: [path.join(other, 'samples.shard-0-of-2.jsonl'), b!], out })).rejects.toThrow(/mixed inputs: .*samples.shard-0-of-2.jsonl is a samples file, .*results.shard-1-of-2.jsonl a results file/);
    expect(existsSync(out)).toBe(false);
  });

  it('merges samples shards, refusing lines in the wrong shard and repeated samples', async () => {
    const lines = readFileSync(samples, 'utf8').split('\n').filter(Boolean);
    const sdir = path.join(dir, 'samples');
    mkdirSync(sdir);
    const owner = new Map<number, number>();
    for (const l of lines) {
      const s = JSON.parse(l);
      owner.set(s.sample_index, shardOfKey(shardKey(s, s.sample_index), 2));
    }
    const files = [0, 1].map((index) => shardFile(path.join(sdir, 'samples.jsonl'), { index, count: 2 }));
    files.forEach((f, index) => writeFileSync(f, lines.filter((l) => owner.get(JSON.parse(l).sample_index) === index).join('\n') + '\n'));
    const out = path.join(sdir, 'samples.jsonl');
    expect(await mergeShards({ files, out })).toMatchObject({ kind: 'samples', shards: 2, lines: 28 });
    expect(readFileSync(out, 'utf8').split('\n').filter(Boolean).sort()).toEqual([...lines].sort());
    // Swapped names: every line is in the wrong shard.
    const swapped = path.join(sdir, 'swap');
    mkdirSync(swapped);
    renameSync(files[0]!, path.join(swapped, path.basename(files[1]!)));
    renameSync(files[1]!, path.join(swapped, path.basename(files[0]!)));
    await expect(mergeShards({ files: files.map((f) => path.join(swapped, path.basename(f))), out: path.join(sdir, 'x.jsonl') })).rejects.toThrow(/samples.shard-0-of-2.jsonl:1: sample T\/add #\d+ of m\d \/ .* belongs to shard 1\/2, not 0\/2/);
    // A sample written twice into its own shard.
    const first = lines.find((l) => owner.get(JSON.parse(l).sample_index) === 0)!;
    writeFileSync(files[0]!, `${first}\n${first}\n`);
    renameSync(path.join(swapped, path.basename(files[0]!)), files[1]!);
    await expect(mergeShards({ files, out: path.join(sdir, 'x.jsonl') })).rejects.toThrow(/samples.shard-0-of-2.jsonl:2: sample T\/add #\d+ .* is there twice \(first at line 1\)/);
    expect(existsSync(path.join(sdir, 'x.jsonl'))).toBe(false);
  });
});
