import { createReadStream } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { firstIssue } from '../dataset/schema.js';
import type { Dataset } from '../dataset/types.js';
import { ResultLine } from '../evaluate/records.js';
import { STATUSES, type Status } from '../sandbox/types.js';
import { DatasetError, UserError } from '../util/errors.js';

/** What the HTML drill-down shows for one sample. */
export interface SampleRecord {
  index: number;
  status: Status;
  passed: boolean;
  detail: string;
  durationMs: number;
  /** The program that was run: `solution`, else `completion`. */
  code: string | null;
  /** How generate extracted the code from the model's answer, when it says. */
  extraction: string | null;
  stdoutTail: string;
  stderrTail: string;
}

export interface TaskTally {
  /** Samples seen. */
  n: number;
  /** Samples that passed. */
  c: number;
  /** Kept only when asked for (HTML drill-down), sorted by index after reading. */
  samples: SampleRecord[];
}

/** All samples of one (model, experiment) pair, across every input file. */
export interface RunResults {
  model: string;
  experiment: string;
  files: string[];
  samples: number;
  statuses: Record<Status, number>;
  tasks: Map<string, TaskTally>;
}

export interface ResultSet {
  files: string[];
  runs: RunResults[];
}

export interface ReadResultsOptions {
  /** Samples per task and run to keep for the drill-down (0: none, Infinity: all). */
  keepSamples?: number;
}

/** Experiment name used when a results line does not carry one. */
export const UNKNOWN_EXPERIMENT = 'unknown';

function emptyStatuses(): Record<Status, number> {
  return Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<Status, number>;
}

function describe(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * Stream results files line by line into per-run, per-task tallies. Memory grows with the
 * number of distinct samples (for duplicate detection), not with the size of their code,
 * unless the drill-down asks for the code.
 */
export async function readResults(
  files: readonly string[],
  dataset: Dataset,
  opts: ReadResultsOptions = {},
): Promise<ResultSet> {
  if (!files.length) throw new UserError('no results files given');
  const state: ReadState = { dataset, keep: opts.keepSamples ?? 0, runs: new Map(), seen: new Map() };
  for (const file of files) {
    const stream = createReadStream(file, { encoding: 'utf8' });
    const lines = createInterface({ input: stream, crlfDelay: Infinity });
    const fallbackModel = path.basename(file).replace(/\.jsonl?$/i, '');
    let lineNo = 0;
    try {
      for await (const line of lines) {
        lineNo++;
        if (line.trim()) ingest(state, line, `${file}:${lineNo}`, file, fallbackModel);
      }
    } catch (e) {
      if (e instanceof UserError) throw e;
      throw new UserError(`${file}: cannot read results file: ${(e as Error).message}`);
    } finally {
      stream.destroy();
    }
  }
  if (!state.runs.size) throw new UserError(`no result lines in ${files.join(', ')}`);
  for (const run of state.runs.values()) for (const t of run.tasks.values()) t.samples.sort((a, b) => a.index - b.index);
  return { files: [...files], runs: [...state.runs.values()] };
}

interface ReadState {
  dataset: Dataset;
  keep: number;
  runs: Map<string, RunResults>;
  /** Where each (run, task, sample_index) was first seen, to refuse double counting. */
  seen: Map<RunResults, Map<string, Map<number, string>>>;
}

function ingest(state: ReadState, line: string, where: string, file: string, fallbackModel: string): void {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch (e) {
    throw new UserError(`${where}: invalid JSON: ${(e as Error).message}`);
  }
  const parsed = ResultLine.safeParse(raw);
  if (!parsed.success) {
    const { field, message } = firstIssue(parsed.error);
    throw new DatasetError(where, message, undefined, field);
  }
  const r = parsed.data;
  if (r.passed !== (r.status === 'passed')) {
    throw new DatasetError(where, `"passed" is ${r.passed} but "status" is "${r.status}"`, undefined, 'passed');
  }
  if (!state.dataset.byId.has(r.task_id)) {
    throw new DatasetError(where, `task is not in the dataset ${state.dataset.source}`, r.task_id, 'task_id');
  }
  const model = r.model ?? fallbackModel;
  const experiment = r.experiment ?? UNKNOWN_EXPERIMENT;
  const key = `${model}\u0000${experiment}`;
  let run = state.runs.get(key);
  if (!run) {
    run = { model, experiment, files: [], samples: 0, statuses: emptyStatuses(), tasks: new Map() };
    state.runs.set(key, run);
    state.seen.set(run, new Map());
  }
  if (!run.files.includes(file)) run.files.push(file);

  const seenRun = state.seen.get(run)!;
  let seenTask = seenRun.get(r.task_id);
  if (!seenTask) {
    seenTask = new Map();
    seenRun.set(r.task_id, seenTask);
  }
  const first = seenTask.get(r.sample_index);
  if (first !== undefined) {
    throw new DatasetError(
      where,
      `duplicate sample ${r.sample_index} of ${model} / ${experiment} (first at ${first})`,
      r.task_id,
      'sample_index',
    );
  }
  seenTask.set(r.sample_index, where);

  let tally = run.tasks.get(r.task_id);
  if (!tally) {
    tally = { n: 0, c: 0, samples: [] };
    run.tasks.set(r.task_id, tally);
  }
  tally.n++;
  if (r.passed) tally.c++;
  run.samples++;
  run.statuses[r.status]++;
  if (tally.samples.length < state.keep) {
    tally.samples.push({
      index: r.sample_index,
      status: r.status,
      passed: r.passed,
      detail: r.detail,
      durationMs: r.duration_ms,
      code: r.solution ?? r.completion ?? null,
      extraction: describe((r as Record<string, unknown>).extraction),
      stdoutTail: r.stdout_tail ?? '',
      stderrTail: r.stderr_tail ?? '',
    });
  }
}
