import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../core/errors.js';
import { runFiles } from '../run/run.js';
import { parseShardFile } from '../core/shard.js';

export interface ReportInputs {
  results: string[];
  /** Samples files found beside the results (to check that every sample was judged). */
  samples: string[];
  /** A validation or analysis file found beside the results, when the flags gave none. */
  validation: string | null;
  analysis: string | null;
  /** Some input is a run folder (or its results.jsonl): its report has comparisons. */
  fromRun: boolean;
  /** What could not be found, and which sections that leaves out; for stderr. */
  notes: string[];
}

/**
 * `report RUN_DIR` and `report RUN_DIR/results.jsonl` report the run as `run` did: its samples
 * file says whether every sample was judged, its validation marks broken tasks, its analysis
 * adds the static-analysis section. Files the flags name win over those found.
 */
export function resolveReportInputs(args: readonly string[], given: { validation?: string | undefined; analysis?: string | undefined }): ReportInputs {
  const out: ReportInputs = { results: [], samples: [], validation: null, analysis: null, fromRun: false, notes: [] };
  const validations = new Set<string>();
  const analyses = new Set<string>();
  for (const arg of args) {
    let results = arg;
    let folder: string | null = null;
    if (existsSync(arg) && statSync(arg).isDirectory()) {
      folder = arg;
      results = runFiles(arg).results;
      if (!existsSync(results)) throw new UserError(`${arg}: a folder without results.jsonl; give a run folder made by \`run\`, or results files`);
    } else if (path.basename(parseShardFile(arg)?.whole ?? arg) === 'results.jsonl') {
      // A run folder's results, whole or one shard of them (`run --shard`, `evaluate --slurm`).
      folder = path.dirname(arg);
    }
    out.results.push(results);
    const files = runFiles(folder ?? path.dirname(results));
    if (folder !== null) out.fromRun = true;
    if (folder !== null && existsSync(files.samples)) {
      // Shards of one run share its samples file: read once, it says which shards' results are missing.
      if (!out.samples.includes(files.samples)) out.samples.push(files.samples);
    } else out.notes.push(`no samples file beside ${results} (completeness not checked)`);
    if (folder !== null && existsSync(files.validation)) validations.add(files.validation);
    if (folder !== null && existsSync(files.analysis)) analyses.add(files.analysis);
  }
  out.notes.push(...missingShards(out.results));
  if (given.validation === undefined && validations.size === 1) out.validation = [...validations][0]!;
  if (given.analysis === undefined && analyses.size === 1) out.analysis = [...analyses][0]!;
  if (given.validation === undefined && !out.validation) {
    out.notes.push(validations.size > 1 ? 'the runs have different validation files (pass --validation FILE to mark broken tasks)' : 'no validation file (broken tasks not marked)');
  }
  return out;
}

/** The notes as one line for stderr, or null when there is nothing to say. */
export function notesLine(notes: readonly string[]): string | null {
  return notes.length ? `note: ${notes.join('; ')}` : null;
}

/** Shard files given without all their siblings: which shards are left out. */
function missingShards(files: readonly string[]): string[] {
  const groups = new Map<string, { count: number; have: Set<number> }>();
  for (const f of files) {
    const parsed = parseShardFile(f);
    if (!parsed) continue;
    const key = `${path.resolve(parsed.whole)}\0${parsed.shard.count}`;
    const g = groups.get(key) ?? { count: parsed.shard.count, have: new Set<number>() };
    g.have.add(parsed.shard.index);
    groups.set(key, g);
  }
  const notes: string[] = [];
  for (const [key, g] of groups) {
    const missing = Array.from({ length: g.count }, (_, i) => i).filter((i) => !g.have.has(i));
    if (missing.length) notes.push(`shard(s) ${missing.join(', ')} of ${g.count} of ${key.split('\0')[0]} not given (their samples count as missing)`);
  }
  return notes;
}
