import path from 'node:path';
import { z } from 'zod';
import { environmentDifferences, type EnvironmentFile, type EnvironmentRecord } from '../core/environment.js';
import { UserError } from '../core/errors.js';
import { parseShardFile, shardFile, shardLabel, type Shard } from '../core/shard.js';
import { describeDifferences, readEnvironmentFile } from '../evaluate/environment.js';
import { readJsonlSync } from '../io/jsonl.js';
import { checkInputFile } from '../io/paths.js';
import type { MergeKind } from './lines.js';

export type { MergeKind };

/** One shard file to merge: which shard it is, and (results) its environment records. */
export interface ShardInput {
  file: string;
  shard: Shard;
  kind: MergeKind | null;
  env: EnvironmentFile | null;
}

const Peek = z.looseObject({});

/** What the first line says the file holds: a results line has a verdict. Null for an empty file. */
function peekKind(file: string): MergeKind | null {
  for (const entry of readJsonlSync(file, Peek, { tornTail: 'report', invalid: 'report' })) {
    if (entry.kind !== 'value') return null;
    return 'status' in entry.value && 'passed' in entry.value ? 'results' : 'samples';
  }
  return null;
}

/** Read what each file is, from its name and its environment record, before any line is merged. */
export function describeInputs(files: readonly string[]): ShardInput[] {
  if (!files.length) throw new UserError('merge needs the shard files to merge');
  return files.map((file) => {
    checkInputFile(file, 'merge');
    let env: EnvironmentFile | null;
    try {
      env = readEnvironmentFile(file);
    } catch (e) {
      throw new UserError(`${file}: its environment record is unreadable: ${(e as Error).message}`);
    }
    const recorded = env?.records.at(-1)?.shard;
    const named = parseShardFile(file)?.shard;
    if (recorded && named && (recorded.index !== named.index || recorded.count !== named.count)) {
      throw new UserError(`${file}: its name says shard ${shardLabel(named)} but its environment record says ${shardLabel(recorded)}; was it renamed?`);
    }
    const shard = recorded ? { index: recorded.index, count: recorded.count } : named;
    if (!shard) throw new UserError(`${file}: not a shard file (no ".shard-I-of-N" in its name, no shard in its environment record); merge takes the files of generate/evaluate --shard`);
    const peeked = peekKind(file);
    if (peeked === 'results' && !env) {
      throw new UserError(`${file}: a results shard without its environment record (${path.basename(file)}.env.json); it cannot be checked against the other shards`);
    }
    return { file, shard, kind: env ? 'results' : peeked, env };
  });
}

/**
 * The checks that need every input: one kind, one shard count, each shard once, none missing,
 * and (results) one samples file and one environment. Returns the inputs in shard order.
 */
export function checkShardSet(inputs: readonly ShardInput[]): { kind: MergeKind; count: number; ordered: ShardInput[] } {
  const set = shardSetOf(inputs);
  const { count, missing } = set;
  if (missing.length) {
    const like = shardFile(parseShardFile(inputs[0]!.file)?.whole ?? inputs[0]!.file, { index: missing[0]!, count });
    const list = missing.length > 12 ? `${missing.slice(0, 12).join(', ')} and ${missing.length - 12} more` : missing.join(', ');
    throw new UserError(`missing ${missing.length} of ${count} shards: ${list} (such as ${like}); run them, or give their files`);
  }
  return set;
}

/**
 * The same checks, but a shard missing is only said (`missing`), for readers that show a run
 * still in progress (`view`). Refused as in checkShardSet: mixed kinds or counts, a shard given
 * twice, results of different samples files or environments.
 */
export function shardSetOf(inputs: readonly ShardInput[]): { kind: MergeKind; count: number; ordered: ShardInput[]; missing: number[] } {
  const kinds = new Map<MergeKind, string>();
  for (const i of inputs) if (i.kind && !kinds.has(i.kind)) kinds.set(i.kind, i.file);
  if (kinds.size > 1) throw new UserError(`mixed inputs: ${kinds.get('samples')} is a samples file, ${kinds.get('results')} a results file; merge one kind at a time`);
  const kind: MergeKind = kinds.keys().next().value ?? 'samples';
  const count = inputs[0]!.shard.count;
  const other = inputs.find((i) => i.shard.count !== count);
  if (other) throw new UserError(`mixed inputs: ${inputs[0]!.file} is one of ${count} shards, ${other.file} one of ${other.shard.count}`);
  const byIndex = new Map<number, ShardInput>();
  for (const i of inputs) {
    const twin = byIndex.get(i.shard.index);
    if (twin) throw new UserError(`${twin.file} and ${i.file} are both shard ${shardLabel(i.shard)}; give each shard once`);
    byIndex.set(i.shard.index, i);
  }
  const missing = Array.from({ length: count }, (_, k) => k).filter((k) => !byIndex.has(k));
  const ordered = [...byIndex.values()].sort((a, b) => a.shard.index - b.shard.index);
  if (kind === 'results') checkResultShards(ordered);
  return { kind, count, ordered, missing };
}

/** The name two samples files are compared by: shards of one samples file count as that file. */
function samplesIdentity(r: NonNullable<EnvironmentRecord['shard']>): string {
  const parsed = parseShardFile(r.samples_file);
  return parsed && parsed.shard.index === r.index && parsed.shard.count === r.count ? `shards of ${parsed.whole}` : `sha256 ${r.samples_sha256}`;
}

function checkResultShards(ordered: readonly ShardInput[]): void {
  const first = ordered[0]!;
  const base = first.env!.records.at(-1)!;
  for (const input of ordered) {
    const last = input.env!.records.at(-1)!;
    if (!last.shard) throw new UserError(`${input.file}: its environment record names no shard; was it made by evaluate --shard?`);
    const diffs = environmentDifferences(base, last);
    if (diffs.length) {
      throw new UserError(`mixed inputs: ${first.file} and ${input.file} were evaluated under different environments (${describeDifferences(diffs)})`);
    }
    if (samplesIdentity(last.shard) !== samplesIdentity(base.shard!)) {
      throw new UserError(`mixed inputs: ${first.file} and ${input.file} were evaluated from different samples files (${base.shard!.samples_file}, ${last.shard.samples_file})`);
    }
  }
}
