import path from 'node:path';
import { z } from 'zod';
import { UserError } from './errors.js';

/**
 * One part of a job split over several machines: shard `index` (0-based, as Slurm's
 * `--array=0-(N-1)` and Kubernetes' JOB_COMPLETION_INDEX number them) of `count`.
 */
export const Shard = z.object({ index: z.number().int().nonnegative(), count: z.number().int().positive() });
export type Shard = z.infer<typeof Shard>;

/** At most this many shards: far beyond any array a scheduler accepts, small enough to name. */
export const MAX_SHARDS = 100_000;

/**
 * Which shard a sample belongs to, from its stable key alone (task, model, experiment, sample
 * index): the same on every machine and every re-run, whatever order the file has and however
 * much of it is done. The key's UTF-16 code units go through two FNV-1a lanes (different
 * offsets), each finished with MurmurHash3's avalanche step so that keys differing in one
 * character spread evenly; 53 bits of the pair, modulo the count. Cheap enough for `merge` to
 * check every one of hundreds of thousands of lines. Changing it would move samples between
 * shards: it is part of the file format.
 */
export function shardOfKey(key: string, count: number): number {
  if (count === 1) return 0;
  let a = 0x811c9dc5;
  let b = 0x050c5d1f;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x01000193);
  }
  const hi = avalanche(a) >>> 11; // 21 bits
  const lo = avalanche(b ^ 0x9e3779b9); // 32 bits
  return (hi * 0x1_0000_0000 + lo) % count;
}

function avalanche(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The key a sample is sharded by: task, model, experiment and sample index, as results files
 * key their lines. `generate` and `evaluate` use the same one, so with the same N the samples
 * shard I of `generate` makes are exactly the ones shard I of `evaluate` runs.
 */
export function shardKey(fields: { task_id: string; model?: unknown; experiment?: unknown }, sampleIndex: number): string {
  return JSON.stringify([fields.task_id, fields.model ?? null, fields.experiment ?? null, sampleIndex]);
}

export function inShard(key: string, shard: Shard | undefined): boolean {
  return shard === undefined || shardOfKey(key, shard.count) === shard.index;
}

export function shardLabel(shard: Shard): string {
  return `${shard.index}/${shard.count}`;
}

/**
 * `--shard I/N`: shard I (0 to N-1) of N. `auto` is resolved from the scheduler's environment
 * by `shardFromEnvironment`.
 */
export function parseShardSpec(value: string, env: Record<string, string | undefined> = process.env): Shard {
  if (value.trim() === 'auto') return shardFromEnvironment(env);
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(value);
  if (!m) throw new UserError(`--shard: expected I/N (shard I of N, I from 0 to N-1) or "auto", got "${value}"`);
  return checkedShard(Number(m[1]), Number(m[2]), `--shard ${value}`);
}

function checkedShard(index: number, count: number, what: string): Shard {
  if (!Number.isSafeInteger(count) || count < 1 || count > MAX_SHARDS) throw new UserError(`${what}: the number of shards must be from 1 to ${MAX_SHARDS}, got ${count}`);
  if (!Number.isSafeInteger(index) || index >= count) throw new UserError(`${what}: the shard index must be from 0 to ${count - 1}, got ${index}`);
  return { index, count };
}

/** Variables `--shard auto` reads; `CODESECEVAL_SHARDS` wins over the array's own size. */
export const SHARD_VARIABLES = [
  'SLURM_ARRAY_TASK_ID',
  'SLURM_ARRAY_TASK_COUNT',
  'SLURM_ARRAY_TASK_MIN',
  'SLURM_ARRAY_TASK_MAX',
  'JOB_COMPLETION_INDEX',
  'CODESECEVAL_SHARDS',
] as const;

function intVar(env: Record<string, string | undefined>, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  if (!/^\s*\d+\s*$/.test(raw)) throw new UserError(`--shard auto: ${name} must be a whole number, got "${raw}"`);
  return Number(raw);
}

/**
 * `--shard auto`. Slurm: the task ID with CODESECEVAL_SHARDS as the count (how `--slurm`
 * submits, so a resubmitted subset such as `--array=2,5` keeps its shard numbers); without
 * it, the task's place in a contiguous array (ID - MIN of MIN..MAX, the count from
 * SLURM_ARRAY_TASK_COUNT, which must agree). Kubernetes Indexed Job: JOB_COMPLETION_INDEX of
 * CODESECEVAL_SHARDS.
 */
export function shardFromEnvironment(env: Record<string, string | undefined>): Shard {
  const explicit = intVar(env, 'CODESECEVAL_SHARDS');
  const id = intVar(env, 'SLURM_ARRAY_TASK_ID');
  if (id !== undefined) {
    if (explicit !== undefined) return checkedShard(id, explicit, '--shard auto (SLURM_ARRAY_TASK_ID of CODESECEVAL_SHARDS)');
    const min = intVar(env, 'SLURM_ARRAY_TASK_MIN');
    const max = intVar(env, 'SLURM_ARRAY_TASK_MAX');
    const count = intVar(env, 'SLURM_ARRAY_TASK_COUNT');
    if (min === undefined || (count === undefined && max === undefined)) {
      throw new UserError('--shard auto: SLURM_ARRAY_TASK_ID is set but not SLURM_ARRAY_TASK_MIN with SLURM_ARRAY_TASK_COUNT or _MAX; set CODESECEVAL_SHARDS to the number of shards');
    }
    const span = max !== undefined ? max - min + 1 : count!;
    if (count !== undefined && count !== span) {
      throw new UserError(
        `--shard auto: the array is not contiguous (SLURM_ARRAY_TASK_COUNT=${count}, MIN=${min}, MAX=${max}); number the array 0-(N-1) or set CODESECEVAL_SHARDS=N`,
      );
    }
    if (id < min) throw new UserError(`--shard auto: SLURM_ARRAY_TASK_ID=${id} is below SLURM_ARRAY_TASK_MIN=${min}`);
    return checkedShard(id - min, span, '--shard auto (SLURM_ARRAY_TASK_ID)');
  }
  const k8s = intVar(env, 'JOB_COMPLETION_INDEX');
  if (k8s !== undefined) {
    if (explicit === undefined) throw new UserError('--shard auto: JOB_COMPLETION_INDEX is set but not CODESECEVAL_SHARDS (set it to the Job\'s completions)');
    return checkedShard(k8s, explicit, '--shard auto (JOB_COMPLETION_INDEX of CODESECEVAL_SHARDS)');
  }
  throw new UserError('--shard auto: neither SLURM_ARRAY_TASK_ID (a Slurm job array) nor JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) is set; give --shard I/N');
}

const SHARD_NAME = /^(.*)\.shard-(\d+)-of-(\d+)(\.[^.]*)?$/;

/**
 * The file a shard writes in place of `file`: `results.jsonl` → `results.shard-03-of-16.jsonl`.
 * Every shard of one command gets its own file (and lock, and environment record) beside the
 * others, so shards never share a writer and a merge finds them by name.
 */
export function shardFile(file: string, shard: Shard): string {
  const dir = path.dirname(file);
  const base = path.basename(file);
  const ext = path.extname(base);
  const stem = ext ? base.slice(0, -ext.length) : base;
  const width = String(shard.count).length;
  return path.join(dir, `${stem}.shard-${String(shard.index).padStart(width, '0')}-of-${shard.count}${ext}`);
}

/** The shard a file name says it holds, and the file the shards merge into; null for any other name. */
export function parseShardFile(file: string): { shard: Shard; whole: string } | null {
  const m = SHARD_NAME.exec(path.basename(file));
  if (!m) return null;
  const index = Number(m[2]);
  const count = Number(m[3]);
  if (count < 1 || index >= count) return null;
  return { shard: { index, count }, whole: path.join(path.dirname(file), `${m[1]}${m[4] ?? ''}`) };
}
