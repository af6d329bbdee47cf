import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadDataset } from '../src/benchmarks/index.js';
import { environmentFileFor, EnvironmentFile } from '../src/core/environment.js';
import { shardFile, shardKey, shardOfKey } from '../src/core/shard.js';
import type { Dataset } from '../src/core/task.js';
import { CODESECEVAL_DIR, describeWithDataset } from './helpers/datasets.js';
import { tempDir } from './helpers/report.js';
import { makeReferenceRun, startViewer, type Viewer } from './helpers/view-run.js';

interface Overview {
  runs: { key: string; samples: number; subsets: { pass_at_k: Record<string, number | null> }[] }[];
  sources: { label: string; results: number; samples: number | null; state: string; error: string | null; shards: { count: number; present: number[]; missing: number[] } | null; files: string[] }[];
}

/**
 * Splits a finished run's results into `count` shard files as `evaluate --shard` writes them
 * (each line in the shard its key hashes to, each shard with its environment record), keeping
 * the shards `keep` names.
 */
function shardRun(from: string, to: string, count: number, keep: number[], edit?: (env: EnvironmentFile, index: number) => void, samplesShards = false): string[] {
  mkdirSync(to, { recursive: true });
  const results = path.join(from, 'results.jsonl');
  const lines = readFileSync(results, 'utf8').split('\n').filter(Boolean);
  const whole = EnvironmentFile.parse(JSON.parse(readFileSync(environmentFileFor(results), 'utf8')));
  const record = whole.records.at(-1)!;
  const byShard = Array.from({ length: count }, () => [] as string[]);
  for (const l of lines) {
    const r = JSON.parse(l) as { task_id: string; model: string; experiment: string; sample_index: number };
    byShard[shardOfKey(shardKey(r, r.sample_index), count)]!.push(l);
  }
  if (!samplesShards) copyFileSync(path.join(from, 'samples.jsonl'), path.join(to, 'samples.jsonl'));
  else {
    // As `run --shard` leaves a folder: every shard's samples made, in shard files.
    const samples = readFileSync(path.join(from, 'samples.jsonl'), 'utf8').split('\n').filter(Boolean);
    for (let index = 0; index < count; index++) {
      const mine = samples.filter((l) => {
        const r = JSON.parse(l) as { task_id: string; model: string; experiment: string; sample_index: number };
        return shardOfKey(shardKey(r, r.sample_index), count) === index;
      });
      writeFileSync(shardFile(path.join(to, 'samples.jsonl'), { index, count }), mine.map((l) => `${l}\n`).join(''));
    }
  }
  return keep.map((index) => {
    const file = shardFile(path.join(to, 'results.jsonl'), { index, count });
    const mine = byShard[index]!;
    writeFileSync(file, mine.map((l) => `${l}\n`).join(''));
    const shard = { index, count, samples_file: path.join(to, 'samples.jsonl'), samples_sha256: 'c'.repeat(64), samples: mine.length };
    const env: EnvironmentFile = { ...whole, records: [{ ...record, lines: mine.length ? [[1, mine.length]] : [], shard }] };
    edit?.(env, index);
    writeFileSync(environmentFileFor(file), JSON.stringify(env));
    return file;
  });
}

describeWithDataset('codeseceval view: shard files read as one result set', () => {
  let ds: Dataset;
  let runs: string;
  let viewer: Viewer;
  let total = 0;

  beforeAll(async () => {
    ds = loadDataset(CODESECEVAL_DIR);
    process.env.CODESECEVAL_CACHE = tempDir('codeseceval-view-shards-cache-');
    const work = tempDir('codeseceval-view-shards-');
    const reference = path.join(work, 'reference');
    await makeReferenceRun(ds, reference);
    total = readFileSync(path.join(reference, 'results.jsonl'), 'utf8').split('\n').filter(Boolean).length;
    runs = path.join(work, 'runs');
    shardRun(reference, path.join(runs, 'all-2'), 2, [0, 1]);
    shardRun(reference, path.join(runs, 'two-of-3'), 3, [0, 1], undefined, true);
    // Shard 1 evaluated under another Python: merge would refuse them, so the viewer does.
    shardRun(reference, path.join(runs, 'mixed'), 2, [0, 1], (env, index) => {
      if (index === 1) env.records[0]!.interpreter.version = '2.7.18';
    });
    copyFileSync(path.join(reference, 'results.jsonl'), path.join(work, 'whole.jsonl'));
    viewer = await startViewer([runs, path.join(work, 'whole.jsonl')], ds);
    await viewer.data.reportsReady();
  }, 240_000);

  afterAll(async () => {
    await viewer?.close();
  });

  it('shows 2 of 2 shards as one result set with the unsharded scores, and 2 of 3 as such', async () => {
    const o = (await (await fetch(new URL('/api/overview', viewer.url))).json()) as Overview;
    const source = (label: string) => o.sources.find((s) => s.label === label)!;
    expect(source('all-2')).toMatchObject({ results: total, error: null, shards: { count: 2, present: [0, 1], missing: [] } });
    expect(source('all-2').files).toEqual(expect.arrayContaining(['results.shard-0-of-2.jsonl', 'results.shard-1-of-2.jsonl', 'samples.jsonl']));
    expect(source('whole').shards).toBeNull();
    // The same result sets and pass@k as the file they were split from.
    const scores = (label: string) => o.runs.filter((r) => r.key.startsWith(`${label}|`)).map((r) => [r.key.slice(label.length), r.samples, r.subsets[0]?.pass_at_k]);
    expect(scores('all-2').length).toBeGreaterThan(0);
    expect(scores('all-2')).toEqual(scores('whole'));
    const two = source('two-of-3');
    expect(two).toMatchObject({ error: null, shards: { count: 3, present: [0, 1], missing: [2] } });
    expect(two.results).toBeGreaterThan(0);
    expect(two.results).toBeLessThan(total);
    // Its samples counted from the samples shard files: shard 2's were made but not judged.
    expect(two).toMatchObject({ samples: total, state: 'interrupted' });
    expect(two.files).toEqual(expect.arrayContaining(['samples.shard-2-of-3.jsonl']));
    expect(source('all-2')).toMatchObject({ samples: total, state: 'complete' });
    expect(source('mixed')).toMatchObject({ results: 0, shards: null });
    expect(source('mixed').error).toMatch(/mixed inputs: .*results.shard-0-of-2.jsonl and .*results.shard-1-of-2.jsonl were evaluated under different environments \(interpreter.version/);
  });

  it('reads shard files named on the command line as one source, and refuses a line in the wrong shard', async () => {
    const files = [0, 1].map((index) => shardFile(path.join(runs, 'all-2', 'results.jsonl'), { index, count: 2 }));
    const direct = await startViewer(files, ds);
    try {
      const o = (await (await fetch(new URL('/api/overview', direct.url))).json()) as Overview;
      expect(o.sources).toHaveLength(1);
      expect(o.sources[0]).toMatchObject({ label: 'all-2', results: total, error: null, shards: { count: 2, present: [0, 1] } });
    } finally {
      await direct.close();
    }
    // Shard 0's lines appended to shard 1: the files overlap.
    writeFileSync(files[1]!, readFileSync(files[1]!, 'utf8') + readFileSync(files[0]!, 'utf8').split('\n')[0] + '\n');
    const overlapping = await startViewer(files, ds);
    try {
      const o = (await (await fetch(new URL('/api/overview', overlapping.url))).json()) as Overview;
      expect(o.sources[0]!.error).toMatch(/results.shard-1-of-2.jsonl:\d+: sample .* belongs to shard 0\/2, not 1\/2: the shard files overlap or were renamed/);
    } finally {
      await overlapping.close();
    }
  });
});
