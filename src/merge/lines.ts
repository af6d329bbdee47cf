import { z } from 'zod';
import { ResultLine } from '../core/result.js';
import { SampleLine } from '../core/sample.js';
import { shardKey, shardLabel, shardOfKey, type Shard } from '../core/shard.js';
import { UserError } from '../core/errors.js';
import { FileError } from '../io/errors.js';
import { decodeUtf8, parseJsonText } from '../io/jsonl.js';
import { rawLines } from './scan.js';

export type MergeKind = 'samples' | 'results';

/** The key members every line must have to be merged: which shard it is in, and whether it is there twice. */
const KeyMembers = z.looseObject({
  task_id: z.string().min(1),
  sample_index: z.number().int().nonnegative(),
  model: z.string().optional(),
  experiment: z.string().optional(),
});
type KeyMembers = z.infer<typeof KeyMembers>;

/**
 * What a merged line must be: the schema the next reader applies (report/view read results
 * with ResultLine, evaluate reads samples with SampleLine), plus the key. A line is merged only
 * once it is proven one, so the merged file never holds a line its reader would refuse.
 */
const LINE: Record<MergeKind, z.ZodType<KeyMembers>> = {
  results: ResultLine,
  samples: z.intersection(SampleLine, KeyMembers),
};

/** One shard file to check, in terms a worker thread can be sent. */
export interface ShardToCheck {
  file: string;
  shard: Shard;
  kind: MergeKind;
  /** Bytes per read (tests use small ones to cross many buffers). */
  chunkSize?: number;
}

/** A run of whole checked lines: bytes [start, end) of `buf`, newline included. */
export interface CheckedRun {
  buf: Buffer;
  start: number;
  end: number;
}

function isBlank(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = buf[i];
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d) return false;
  }
  return true;
}

/**
 * The shard's bytes, in runs of whole lines, after proving each line a valid line of its kind
 * (UTF-8, strict JSON and the reader's schema, as the readers check it), in this shard, and there once. Blank lines are left
 * out. Returns the number of lines. `alloc` supplies the read buffers.
 */
export function* checkedShardRuns(input: ShardToCheck, alloc?: (size: number) => Buffer): Generator<CheckedRun, number> {
  const { file, shard } = input;
  const schema = LINE[input.kind];
  const seen = new Map<string, number>();
  let run: CheckedRun | null = null;
  let lines = 0;
  for (const raw of rawLines(file, input.chunkSize, alloc)) {
    const blank = isBlank(raw.buf, raw.start, raw.end);
    if (!raw.terminated) {
      if (blank) break;
      throw new UserError(`${file}:${raw.line}: shard ${shardLabel(shard)} is unfinished (its last line was cut short); run it again to finish it, then merge`);
    }
    if (blank) {
      if (run) yield run;
      run = null;
      continue;
    }
    const where = `${file}:${raw.line}`;
    const text = decodeUtf8(raw.buf.subarray(raw.start, raw.end));
    if (text === null) throw new FileError(`${where}: invalid UTF-8`, file);
    const v = parseJsonText(text, schema, where);
    const key = checkLineInShard(v, shard, where);
    const first = seen.get(key);
    if (first !== undefined) throw new UserError(`${file}:${raw.line}: ${describe(v)} is there twice (first at line ${first})`);
    seen.set(key, raw.line);
    lines++;
    if (run && run.buf === raw.buf && run.end === raw.start) {
      run.end = raw.end + 1;
    } else {
      if (run) yield run;
      run = { buf: raw.buf, start: raw.start, end: raw.end + 1 };
    }
  }
  if (run) yield run;
  return lines;
}

/**
 * Refuses a line whose key puts it in another shard than its file's (overlapping or renamed
 * shard files); returns the key. `where` is FILE:LINE.
 */
export function checkLineInShard(v: KeyMembers, shard: Shard, where: string): string {
  const key = shardKey(v, v.sample_index);
  const owner = shardOfKey(key, shard.count);
  if (owner !== shard.index) {
    throw new UserError(`${where}: ${describe(v)} belongs to shard ${owner}/${shard.count}, not ${shardLabel(shard)}: the shard files overlap or were renamed`);
  }
  return key;
}

function describe(v: KeyMembers): string {
  return `sample ${v.task_id} #${v.sample_index}${v.model ? ` of ${v.model}` : ''}${v.experiment ? ` / ${v.experiment}` : ''}`;
}
