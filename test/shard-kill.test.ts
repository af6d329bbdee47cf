/**
 * A shard killed outright (SIGKILL of the real CLI, mid-run) is finished by running the same
 * command again, and the merged shards still give the unsharded verdicts.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { loadDataset } from '../src/benchmarks/index.js';
import { shardFile } from '../src/core/shard.js';
import { evaluateSamples } from '../src/evaluate/evaluate.js';
import { generateSamples } from '../src/generate/generate.js';
import { mergeShards } from '../src/merge/merge.js';
import { describeWithDataset, itWithDataset, needsCodeSecEval } from './helpers/datasets.js';
import { cli, exited, killStarted, removeTempDirs, tempDir, waitFor } from './helpers/safety-cli.js';

afterEach(() => killStarted());
afterAll(() => removeTempDirs());

const statuses = (file: string) =>
  Object.fromEntries(
    readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { task_id: string; model: string; status: string })
      .map((r) => [`${r.model} ${r.task_id}`, r.status]),
  );

describeWithDataset('a killed shard', () => {
  const dir = tempDir('codeseceval-shard-kill-');
  const samples = path.join(dir, 'samples.jsonl');
  let dataset: string;
  let whole: Record<string, string>;

  beforeAll(async () => {
    dataset = needsCodeSecEval();
    const ds = loadDataset(dataset);
    const tasks = ds.tasks.slice(0, 16).map((t) => t.id);
    for (const model of ['reference:secure', 'reference:insecure']) await generateSamples({ dataset: ds, model, outFile: samples, tasks, cacheDir: null });
    await evaluateSamples({ samplesFile: samples, outFile: path.join(dir, 'whole.jsonl'), dataset: ds });
    whole = statuses(path.join(dir, 'whole.jsonl'));
  }, 180_000);

  itWithDataset('is finished by the same command, and the merge equals the unsharded verdicts', async () => {
    const out = path.join(dir, 'results.jsonl');
    const args = (index: number) => ['evaluate', '--samples', samples, '--out', out, '--dataset', dataset, '--jobs', '1', '--shard', `${index}/2`];
    const file = shardFile(out, { index: 1, count: 2 });
    const victim = cli(args(1), { group: true });
    await waitFor(() => existsSync(file) && statSync(file).size > 0, () => `a first result; stderr: ${victim.stderr}`, 120_000);
    victim.signalGroup('SIGKILL');
    await exited(victim);
    // Whole lines only: a kill mid-write may leave a torn last line, which the resume drops.
    const text = readFileSync(file, 'utf8');
    const partial = text.slice(0, text.lastIndexOf('\n') + 1).split('\n').filter(Boolean).length;
    await expect(mergeShards({ files: [0, 1].map((i) => shardFile(out, { index: i, count: 2 })), out })).rejects.toThrow(/no such file|unfinished/);
    for (const index of [0, 1]) {
      const r = await exited(cli(args(index)), 180_000);
      expect(r.code, r.stderr).toBe(0);
      if (index === 1) expect(r.stderr).toMatch(new RegExp(`\\(${partial} kept from an earlier run\\)`));
    }
    await mergeShards({ files: [0, 1].map((i) => shardFile(out, { index: i, count: 2 })), out });
    expect(statuses(out)).toEqual(whole);
  }, 400_000);
});
