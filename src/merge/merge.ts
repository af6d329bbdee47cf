import { existsSync, renameSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { environmentFileFor, type EnvironmentRecord } from '../core/environment.js';
import { UserError } from '../core/errors.js';
import { shardKey, shardLabel, shardOfKey } from '../core/shard.js';
import { writeEnvironmentFile } from '../evaluate/environment.js';
import { parseJsonText } from '../io/jsonl.js';
import { acquireLock, type Lock } from '../io/lock.js';
import { checkOutputFile } from '../io/paths.js';
import { writeFileAtomic } from '../io/write.js';
import { rawLines, topLevelMembers, type RawLine } from './scan.js';
import { checkShardSet, describeInputs, type MergeKind, type ShardInput } from './inputs.js';

export interface MergeOptions {
  files: readonly string[];
  out: string;
  onProgress?: (linesDone: number, shardsDone: number, shards: number) => void;
}

export interface MergeSummary {
  kind: MergeKind;
  shards: number;
  lines: number;
  out: string;
}

/** Only what merging needs of a line; the line itself is copied byte for byte. */
type KeyLine = z.infer<typeof KeyLine>;
const KeyLine = z.looseObject({
  task_id: z.string().min(1),
  sample_index: z.number().int().nonnegative(),
  model: z.string().optional(),
  experiment: z.string().optional(),
});

/**
 * Shard files (of `generate --shard` or `evaluate --shard`) → one file, as if one machine had
 * made it. Every check that needs no line runs first (one kind, one shard count, no shard
 * missing or given twice; for results one samples file and one environment); then each line
 * is checked to belong to its file's shard (a misnamed or overlapping file), no sample comes
 * twice, and each results shard is complete. The output (and its environment record, the
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
    function* body(): Generator<Uint8Array> {
      for (const input of ordered) {
        let lines = 0;
        yield* shardBytes(input, count, (n) => (lines = n));
        const expected = input.env?.records.at(-1)?.shard?.samples;
        if (expected !== undefined && lines !== expected) {
          throw new UserError(`${input.file}: shard ${shardLabel(input.shard)} is unfinished (${lines} of ${expected} results); run its evaluate again to finish it, then merge`);
        }
        linesOf.push(lines);
        total += lines;
        opts.onProgress?.(total, linesOf.length, ordered.length);
      }
    }
    if (kind === 'results') {
      // The body is checked in full before anything is renamed into place; the record goes
      // first, as evaluate writes it before its first line.
      const tmpOut = path.join(path.dirname(opts.out), `.${path.basename(opts.out)}.${process.pid}.merging`);
      try {
        await writeFileAtomic(tmpOut, body());
        await writeEnvironmentFile(opts.out, mergedRecords(ordered, linesOf));
        renameSync(tmpOut, opts.out);
      } finally {
        if (existsSync(tmpOut)) unlinkSync(tmpOut);
      }
    } else {
      await writeFileAtomic(opts.out, body());
      // A samples file has no record: one left from an earlier results file of that name would lie.
      if (existsSync(environmentFileFor(opts.out))) unlinkSync(environmentFileFor(opts.out));
    }
    return { kind, shards: count, lines: total, out: opts.out };
  } finally {
    for (const l of locks.reverse()) l.release();
  }
}

const KEY_MEMBERS = ['task_id', 'sample_index', 'model', 'experiment'];

/** The key members of one line: read from its bytes, or (when those look odd) by parsing it, for an exact error. */
function keyOf(input: ShardInput, raw: RawLine): KeyLine {
  const m = topLevelMembers(raw.buf, raw.start, raw.end, KEY_MEMBERS);
  if (m) {
    try {
      const v = {
        task_id: JSON.parse(m.get('task_id') ?? 'null') as unknown,
        sample_index: JSON.parse(m.get('sample_index') ?? 'null') as unknown,
        ...(m.has('model') ? { model: JSON.parse(m.get('model')!) as unknown } : {}),
        ...(m.has('experiment') ? { experiment: JSON.parse(m.get('experiment')!) as unknown } : {}),
      };
      const ok = KeyLine.safeParse(v);
      if (ok.success) return ok.data;
    } catch {
      // fall through to the full parse
    }
  }
  return parseJsonText(raw.buf.toString('utf8', raw.start, raw.end), KeyLine, `${input.file}:${raw.line}`);
}

/**
 * The shard's bytes, in runs of whole lines, after checking that each line belongs to this
 * shard and is there once. Blank lines are left out.
 */
function* shardBytes(input: ShardInput, count: number, counted: (lines: number) => void): Generator<Uint8Array> {
  const seen = new Map<string, number>();
  let run: { buf: Buffer; start: number; end: number } | null = null;
  let lines = 0;
  for (const raw of rawLines(input.file)) {
    if (!raw.terminated) {
      if (isBlank(raw)) break;
      throw new UserError(`${input.file}:${raw.line}: shard ${shardLabel(input.shard)} is unfinished (its last line was cut short); run it again to finish it, then merge`);
    }
    if (isBlank(raw)) {
      if (run) yield run.buf.subarray(run.start, run.end);
      run = null;
      continue;
    }
    const v = keyOf(input, raw);
    const key = shardKey(v, v.sample_index);
    const owner = shardOfKey(key, count);
    const what = `sample ${v.task_id} #${v.sample_index}${v.model ? ` of ${v.model}` : ''}${v.experiment ? ` / ${v.experiment}` : ''}`;
    if (owner !== input.shard.index) {
      throw new UserError(`${input.file}:${raw.line}: ${what} belongs to shard ${owner}/${count}, not ${shardLabel(input.shard)}: the shard files overlap or were renamed`);
    }
    const first = seen.get(key);
    if (first !== undefined) throw new UserError(`${input.file}:${raw.line}: ${what} is there twice (first at line ${first})`);
    seen.set(key, raw.line);
    lines++;
    if (run && run.buf === raw.buf && run.end === raw.start) {
      run.end = raw.end + 1;
    } else {
      if (run) yield run.buf.subarray(run.start, run.end);
      run = { buf: raw.buf, start: raw.start, end: raw.end + 1 };
    }
  }
  if (run) yield run.buf.subarray(run.start, run.end);
  counted(lines);
}

function isBlank(raw: RawLine): boolean {
  for (let i = raw.start; i < raw.end; i++) {
    const c = raw.buf[i];
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d) return false;
  }
  return true;
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
