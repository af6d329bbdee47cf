import { createReadStream } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { firstIssue } from '../dataset/schema.js';
import type { Dataset } from '../dataset/types.js';
import { ResultLine } from '../evaluate/records.js';
import { STATUSES, type SoftOutcome, type Status } from '../sandbox/types.js';
import { DatasetError, UserError } from '../util/errors.js';
import { addToTally, judgeSample, LabelMismatchError, type SampleJudgement, type SplitTally } from './functional.js';
import { SoftOutcomeSchema, type TaskLabels } from './labels.js';

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
  /** From the soft-assert run, when the line has one and the task has labels. */
  judgement?: SampleJudgement | null;
}

export interface TaskTally {
  /** Samples seen. */
  n: number;
  /** Samples that passed. */
  c: number;
  /** Kept only when asked for (HTML drill-down), sorted by index after reading. */
  samples: SampleRecord[];
  /** Soft-assert judgements against the task's labels; absent when none was made. */
  split?: SplitTally;
  /** Samples whose line has no `soft` field. */
  withoutSoft: number;
}

/** All samples of one (model, experiment) pair, across every input file. */
export interface RunResults {
  model: string;
  experiment: string;
  files: string[];
  samples: number;
  statuses: Record<Status, number>;
  tasks: Map<string, TaskTally>;
  /** Samples whose line carries a soft-assert outcome (`evaluate --soft`). */
  softSamples: number;
}

export interface ResultSet {
  files: string[];
  runs: RunResults[];
}

export interface ReadResultsOptions {
  /** Samples per task and run to keep for the drill-down (0: none, Infinity: all). */
  keepSamples?: number;
  /** Assert labels per task (from `dataset validate --labels`): samples with `soft` are judged. */
  labels?: ReadonlyMap<string, TaskLabels> | null;
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
  const state: ReadState = { dataset, keep: opts.keepSamples ?? 0, labels: opts.labels ?? null, runs: new Map(), seen: new Map() };
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
  if (state.labels) for (const run of state.runs.values()) judgeMissingSoft(run, state.labels);
  return { files: [...files], runs: [...state.runs.values()] };
}

function emptySplit(): SplitTally {
  return { n: 0, functional: 0, functionalSecure: 0 };
}

/**
 * `evaluate --soft` writes no `soft` field when the soft run gave no outcome (the program did
 * not load, timed out, crashed): such samples are common (syntax errors) and must count as
 * not functional, or dropping them would flatter func@k. So in a run where any line carries
 * `soft`, a line without one is judged as a soft run that never reached the end of check.
 */
function judgeMissingSoft(run: RunResults, labels: ReadonlyMap<string, TaskLabels>): void {
  if (run.softSamples === 0) return;
  for (const [taskId, tally] of run.tasks) {
    const lab = labels.get(taskId);
    if (!tally.withoutSoft || !lab) continue;
    const j = judgeSample(undefined, lab);
    if (!j) continue;
    const split = (tally.split ??= emptySplit());
    for (let i = 0; i < tally.withoutSoft; i++) addToTally(split, j);
    for (const s of tally.samples) if (s.judgement === undefined) s.judgement = j;
  }
}

interface ReadState {
  dataset: Dataset;
  keep: number;
  labels: ReadonlyMap<string, TaskLabels> | null;
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
  // `soft: null` says the soft run gave no outcome; no field at all, that the line was not
  // run in soft mode, or (from evaluate) that its soft run gave no outcome (see readResults).
  let soft: SoftOutcome | undefined;
  const rawSoft = (r as Record<string, unknown>).soft;
  if (rawSoft !== undefined && rawSoft !== null) {
    const p = SoftOutcomeSchema.safeParse(rawSoft);
    if (!p.success) {
      const { field, message } = firstIssue(p.error);
      throw new DatasetError(where, message, r.task_id, field === '(record)' ? 'soft' : `soft.${field}`);
    }
    soft = p.data;
  }
  const model = r.model ?? fallbackModel;
  const experiment = r.experiment ?? UNKNOWN_EXPERIMENT;
  const key = `${model}\u0000${experiment}`;
  let run = state.runs.get(key);
  if (!run) {
    run = { model, experiment, files: [], samples: 0, statuses: emptyStatuses(), tasks: new Map(), softSamples: 0 };
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
    tally = { n: 0, c: 0, samples: [], withoutSoft: 0 };
    run.tasks.set(r.task_id, tally);
  }
  tally.n++;
  if (r.passed) tally.c++;
  run.samples++;
  run.statuses[r.status]++;
  let judgement: SampleJudgement | null = null;
  const labels = state.labels?.get(r.task_id);
  if (rawSoft === undefined) {
    tally.withoutSoft++;
  } else {
    run.softSamples++;
    if (labels) {
      try {
        judgement = judgeSample(soft, labels);
      } catch (e) {
        if (e instanceof LabelMismatchError) throw new DatasetError(where, e.message, r.task_id, 'soft');
        throw e;
      }
    }
    if (judgement) addToTally((tally.split ??= emptySplit()), judgement);
  }
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
      ...(rawSoft !== undefined ? { judgement } : {}),
    });
  }
}
