import { existsSync, renameSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { environmentFileFor, type EnvironmentRecord } from '../core/environment.js';
import { UserError } from '../core/errors.js';
import { shardLabel } from '../core/shard.js';
import { writeEnvironmentFile } from '../evaluate/environment.js';
import { acquireLock, type Lock } from '../io/lock.js';
import { checkOutputFile } from '../io/paths.js';
import { writeFileAtomic } from '../io/write.js';
import { checkedShardsInOrder } from './parallel.js';
import { checkShardSet, describeInputs, type MergeKind, type ShardInput } from './inputs.js';

/** The disk writes the merged file while later shards are checked, rather than all at the end. */
const FLUSH_EVERY = 128 << 20;

export interface MergeOptions {
  files: readonly string[];
  out: string;
  onProgress?: (linesDone: number, shardsDone: number, shards: number) => void;
  /** Threads checking lines (default: one per core, at most 4). */
  workers?: number;
}

export interface MergeSummary {
  kind: MergeKind;
  shards: number;
  lines: number;
  out: string;
}

/**
 * Shard files (of `generate --shard` or `evaluate --shard`) → one file, as if one machine had
 * made it. Every check that needs no line runs first (one kind, one shard count, no shard
 * missing or given twice; for results one samples file and one environment); then, on worker
 * threads, each line is proven a valid line of its kind (UTF-8, strict JSON and the schema its
 * reader applies) and checked to belong to its file's shard (a misnamed or overlapping file),
 * no sample comes twice, and each results shard is complete. The output (and its environment record, the
 * shards' records with their line numbers moved) is written by temporary file and rename, so
 * a failed merge leaves an earlier file as it was. The inputs are locked while they are read.
 */
export async function mergeShards(opts: MergeOptions): Promise<MergeSummary> {
  const inputs = describeInputs(opts.files);
  const { kind, count, ordered } = checkShardSet(inputs);
  checkOutputFile(opts.out, { flag: '--out', createFolder: true, inputs: ordered.map((i) => ({ flag: 'merge', file: i.file })) });
  const locks: Lock[] = [];
  try {
    locks.push(acquireLock(opts.out, { command: 'codeseceval merge' }));
    for (const i of ordered) locks.push(acquireLock(i.file, { command: 'codeseceval merge' }));
    const linesOf: number[] = [];
    let total = 0;
    const body = checkedShardsInOrder(
      ordered.map((i) => ({ file: i.file, shard: i.shard, kind })),
      (k, lines) => {
        const input = ordered[k]!;
        const expected = input.env?.records.at(-1)?.shard?.samples;
        if (expected !== undefined && lines !== expected) {
          throw new UserError(`${input.file}: shard ${shardLabel(input.shard)} is unfinished (${lines} of ${expected} results); run its evaluate again to finish it, then merge`);
        }
        linesOf.push(lines);
        total += lines;
        opts.onProgress?.(total, linesOf.length, ordered.length);
      },
      opts.workers,
    );
    if (kind === 'results') {
      // The body is checked in full before anything is renamed into place; the record goes
      // first, as evaluate writes it before its first line.
      const tmpOut = path.join(path.dirname(opts.out), `.${path.basename(opts.out)}.${process.pid}.merging`);
      try {
        await writeFileAtomic(tmpOut, body, { flushEvery: FLUSH_EVERY });
        await writeEnvironmentFile(opts.out, mergedRecords(ordered, linesOf));
        renameSync(tmpOut, opts.out);
      } finally {
        if (existsSync(tmpOut)) unlinkSync(tmpOut);
      }
    } else {
      await writeFileAtomic(opts.out, body, { flushEvery: FLUSH_EVERY });
      // A samples file has no record: one left from an earlier results file of that name would lie.
      if (existsSync(environmentFileFor(opts.out))) unlinkSync(environmentFileFor(opts.out));
    }
    return { kind, shards: count, lines: total, out: opts.out };
  } finally {
    for (const l of locks.reverse()) l.release();
  }
}

/** The shards' records, their line ranges moved to where the shard's lines now are. */
function mergedRecords(ordered: readonly ShardInput[], linesOf: readonly number[]): EnvironmentRecord[] {
  let offset = 0;
  const out: EnvironmentRecord[] = [];
  ordered.forEach((input, k) => {
    for (const r of input.env!.records) {
      const { shard: _shard, ...rest } = r;
      const lines = r.lines.filter(([a]) => a <= linesOf[k]!).map(([a, b]) => [a + offset, Math.min(b, linesOf[k]!) + offset] as [number, number]);
      if (lines.length || !out.length) out.push({ ...rest, lines });
    }
    offset += linesOf[k]!;
  });
  return out;
}
