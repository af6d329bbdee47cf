import { afterEach, describe, expect, it, vi } from 'vitest';
import { registerEvaluate } from '../../src/cli/evaluate.js';
import { registerGenerate } from '../../src/cli/generate.js';
import { runCliInProcess } from '../helpers/cli.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveReportInputs } from '../../src/cli/report-inputs.js';
import { inShard, parseShardFile, parseShardSpec, shardFile, shardFromEnvironment, shardOfKey } from '../../src/core/shard.js';

const keys = Array.from({ length: 2000 }, (_, i) => JSON.stringify([`Task/${i % 97}`, `model-${i % 3}`, 'direct-generation', i % 10]));

describe('shards', () => {
  it('partition every key into exactly one shard, the same whatever the order, roughly evenly', () => {
    for (const n of [1, 2, 4, 7]) {
      const sizes = new Array<number>(n).fill(0);
      for (const k of keys) {
        const owners = Array.from({ length: n }, (_, i) => i).filter((i) => inShard(k, { index: i, count: n }));
        expect(owners).toEqual([shardOfKey(k, n)]);
        sizes[owners[0]!]!++;
      }
      const reversed = [...keys].reverse().map((k) => shardOfKey(k, n));
      expect(reversed.reverse()).toEqual(keys.map((k) => shardOfKey(k, n)));
      for (const s of sizes) expect(Math.abs(s - keys.length / n)).toBeLessThan((keys.length / n) * 0.2 + 10);
    }
  });

  it('parse I/N and refuse bad specs in one line', () => {
    expect(parseShardSpec('2/4', {})).toEqual({ index: 2, count: 4 });
    expect(() => parseShardSpec('4/4', {})).toThrow(/index must be from 0 to 3, got 4/);
    expect(() => parseShardSpec('0/0', {})).toThrow(/number of shards must be from 1/);
    expect(() => parseShardSpec('1-4', {})).toThrow(/expected I\/N/);
  });

  it('auto reads Slurm arrays, resubmitted subsets and Kubernetes indexed jobs', () => {
    expect(shardFromEnvironment({ SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_COUNT: '4', SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_MAX: '3' })).toEqual({ index: 3, count: 4 });
    expect(shardFromEnvironment({ SLURM_ARRAY_TASK_ID: '5', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_MAX: '8' })).toEqual({ index: 4, count: 8 });
    // A resubmitted subset (--array=2,5) keeps its numbers through CODESECEVAL_SHARDS.
    expect(shardFromEnvironment({ SLURM_ARRAY_TASK_ID: '5', SLURM_ARRAY_TASK_COUNT: '2', SLURM_ARRAY_TASK_MIN: '2', SLURM_ARRAY_TASK_MAX: '5', CODESECEVAL_SHARDS: '8' })).toEqual({ index: 5, count: 8 });
    expect(() => shardFromEnvironment({ SLURM_ARRAY_TASK_ID: '5', SLURM_ARRAY_TASK_COUNT: '2', SLURM_ARRAY_TASK_MIN: '2', SLURM_ARRAY_TASK_MAX: '5' })).toThrow(/not contiguous.*CODESECEVAL_SHARDS/);
    expect(shardFromEnvironment({ JOB_COMPLETION_INDEX: '0', CODESECEVAL_SHARDS: '3' })).toEqual({ index: 0, count: 3 });
    expect(() => shardFromEnvironment({ JOB_COMPLETION_INDEX: '0' })).toThrow(/CODESECEVAL_SHARDS/);
    expect(() => shardFromEnvironment({ JOB_COMPLETION_INDEX: '3', CODESECEVAL_SHARDS: '3' })).toThrow(/from 0 to 2, got 3/);
    expect(() => shardFromEnvironment({ JOB_COMPLETION_INDEX: 'x', CODESECEVAL_SHARDS: '3' })).toThrow(/JOB_COMPLETION_INDEX must be a whole number/);
    expect(() => shardFromEnvironment({})).toThrow(/neither SLURM_ARRAY_TASK_ID .* nor JOB_COMPLETION_INDEX/);
  });

  it('name shard files beside the whole and read the name back', () => {
    expect(shardFile('/r/results.jsonl', { index: 3, count: 16 })).toBe('/r/results.shard-03-of-16.jsonl');
    expect(shardFile('out', { index: 0, count: 2 })).toBe('out.shard-0-of-2');
    expect(parseShardFile('/r/results.shard-03-of-16.jsonl')).toEqual({ shard: { index: 3, count: 16 }, whole: '/r/results.jsonl' });
    expect(parseShardFile('/r/results.jsonl')).toBeNull();
    expect(parseShardFile('/r/x.shard-5-of-4.jsonl')).toBeNull();
  });
});

describe('--shard on the command line', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('auto without a scheduler, or with an inconsistent one, is one line naming the variable, before any work', async () => {
    for (const name of ['SLURM_ARRAY_TASK_ID', 'JOB_COMPLETION_INDEX', 'CODESECEVAL_SHARDS', 'SLURM_ARRAY_TASK_MIN', 'SLURM_ARRAY_TASK_MAX', 'SLURM_ARRAY_TASK_COUNT']) vi.stubEnv(name, '');
    const none = await runCliInProcess(registerEvaluate, ['evaluate', '--samples', 'nope.jsonl', '--out', 'r.jsonl', '--shard', 'auto']);
    expect(none.exitCode).toBe(1);
    expect(none.stderr.trim().split('\n')).toHaveLength(1);
    expect(none.stderr).toMatch(/--shard.*neither SLURM_ARRAY_TASK_ID .*nor JOB_COMPLETION_INDEX/);
    vi.stubEnv('JOB_COMPLETION_INDEX', '4');
    vi.stubEnv('CODESECEVAL_SHARDS', '4');
    const bad = await runCliInProcess(registerGenerate, ['generate', '-m', 'reference:secure', '--shard', 'auto']);
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toMatch(/index must be from 0 to 3, got 4/);
    const spec = await runCliInProcess(registerEvaluate, ['evaluate', '--samples', 's', '--out', 'r', '--shard', '3/2']);
    expect(spec.stderr).toMatch(/--shard.*from 0 to 1, got 3/);
  });
});

describe('report given shard files directly', () => {
  it('reads the run\'s samples file once and names the shards left out', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'codeseceval-shard-report-'));
    try {
      for (const f of ['samples.jsonl', 'results.shard-0-of-3.jsonl', 'results.shard-1-of-3.jsonl']) writeFileSync(path.join(dir, f), '');
      const inputs = resolveReportInputs([path.join(dir, 'results.shard-0-of-3.jsonl'), path.join(dir, 'results.shard-1-of-3.jsonl')], {});
      expect(inputs.samples).toEqual([path.join(dir, 'samples.jsonl')]);
      expect(inputs.fromRun).toBe(true);
      expect(inputs.notes).toContain(`shard(s) 2 of 3 of ${path.join(dir, 'results.jsonl')} not given (their samples count as missing)`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
