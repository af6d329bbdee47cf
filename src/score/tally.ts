import path from 'node:path';
import { addToTally, judgeSample, LabelMismatchError, type SampleJudgement, type SplitTally } from './judge.js';
import type { TaskLabels } from './labels.js';
import { addCases, emptyCaseTally, judgeCases, type CaseTally } from './case-judge.js';
import { DatasetError } from '../core/errors.js';
import type { EnvironmentFailure, ResultLine } from '../core/result.js';
import { emptyStatusCounts, type Status } from '../core/status.js';
import type { Dataset } from '../core/task.js';

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
  /** Test-file tasks (SALLM, CWEval): every sample judged by its labelled cases (see case-judge.ts). */
  cases?: CaseTally;
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

/** A sample that failed for a reason of the machine (`environment_failure` on its line). */
export interface EnvironmentFailureSample {
  model: string;
  experiment: string;
  taskId: string;
  failure: EnvironmentFailure;
}

export interface ResultSet {
  files: string[];
  runs: RunResults[];
  /** Every line that carried an environment failure, in reading order. */
  environmentFailures: EnvironmentFailureSample[];
}

export interface TallyOptions {
  /** Samples per task and run to keep for the drill-down (0: none, Infinity: all). */
  keepSamples?: number;
  /** Assert labels per task (from `dataset validate --labels`): samples with `soft` are judged. */
  labels?: ReadonlyMap<string, TaskLabels> | null;
}

/** Experiment name used when a results line does not carry one. */
export const UNKNOWN_EXPERIMENT = 'unknown';

/** The model name of results lines without one: their file's base name. */
export function fallbackModel(file: string): string {
  return path.basename(file).replace(/\.jsonl?$/i, '');
}

/** Where a line came from, for messages and for naming runs without a `model` field. */
export interface LineOrigin {
  /** `file:line`. */
  where: string;
  file: string;
  /** The run name for lines without `model`: the file's base name. */
  fallbackModel: string;
}

function describe(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function emptySplit(): SplitTally {
  return { n: 0, functional: 0, functionalSecure: 0 };
}

/**
 * Result lines folded into per-run, per-task tallies, one line at a time: memory grows with
 * the number of distinct samples (for duplicate detection), not with the size of their code,
 * unless the drill-down asks for the code. Pure: whoever reads the files feeds it.
 */
export class ResultsTally {
  private readonly runs = new Map<string, RunResults>();
  /** Where each (run, task, sample_index) was first seen, to refuse double counting. */
  private readonly seen = new Map<RunResults, Map<string, Map<number, string>>>();
  private readonly files: string[] = [];
  private readonly environmentFailures: EnvironmentFailureSample[] = [];
  private readonly keep: number;
  private readonly labels: ReadonlyMap<string, TaskLabels> | null;

  constructor(
    private readonly dataset: Dataset,
    opts: TallyOptions = {},
  ) {
    this.keep = opts.keepSamples ?? 0;
    this.labels = opts.labels ?? null;
  }

  add(r: ResultLine, origin: LineOrigin): void {
    const { where, file } = origin;
    if (!this.files.includes(file)) this.files.push(file);
    if (r.passed !== (r.status === 'passed')) {
      throw new DatasetError(where, `"passed" is ${r.passed} but "status" is "${r.status}"`, undefined, 'passed');
    }
    if (!this.dataset.byId.has(r.task_id)) {
      throw new DatasetError(where, `task is not in the dataset ${this.dataset.source}`, r.task_id, 'task_id');
    }
    const model = r.model ?? origin.fallbackModel;
    const experiment = r.experiment ?? UNKNOWN_EXPERIMENT;
    const key = `${model}\u0000${experiment}`;
    let run = this.runs.get(key);
    if (!run) {
      run = { model, experiment, files: [], samples: 0, statuses: emptyStatusCounts(), tasks: new Map(), softSamples: 0 };
      this.runs.set(key, run);
      this.seen.set(run, new Map());
    }
    if (!run.files.includes(file)) run.files.push(file);

    const seenRun = this.seen.get(run)!;
    let seenTask = seenRun.get(r.task_id);
    if (!seenTask) {
      seenTask = new Map();
      seenRun.set(r.task_id, seenTask);
    }
    const first = seenTask.get(r.sample_index);
    if (first !== undefined) {
      throw new DatasetError(where, `duplicate sample ${r.sample_index} of ${model} / ${experiment} (first at ${first})`, r.task_id, 'sample_index');
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
    // Every sample of a test-file task counts, those whose test file never ran too.
    if (this.dataset.byId.get(r.task_id)!.module !== undefined) addCases((tally.cases ??= emptyCaseTally()), judgeCases(r.cases));
    if (r.environment_failure) this.environmentFailures.push({ model, experiment, taskId: r.task_id, failure: r.environment_failure });
    // `soft: null` says the soft run gave no outcome; no field at all, that the line was not
    // run in soft mode, or (from evaluate) that its soft run gave no outcome (see finish).
    let judgement: SampleJudgement | null = null;
    const labels = this.labels?.get(r.task_id);
    if (r.soft === undefined) {
      tally.withoutSoft++;
    } else {
      run.softSamples++;
      if (labels) {
        try {
          judgement = judgeSample(r.soft ?? undefined, labels);
        } catch (e) {
          if (e instanceof LabelMismatchError) throw new DatasetError(where, e.message, r.task_id, 'soft');
          throw e;
        }
      }
      if (judgement) addToTally((tally.split ??= emptySplit()), judgement);
    }
    if (tally.samples.length < this.keep) {
      tally.samples.push({
        index: r.sample_index,
        status: r.status,
        passed: r.passed,
        detail: r.detail,
        durationMs: r.duration_ms,
        code: r.solution ?? r.completion ?? null,
        extraction: describe(r['extraction']),
        stdoutTail: r.stdout_tail ?? '',
        stderrTail: r.stderr_tail ?? '',
        ...(r.soft !== undefined ? { judgement } : {}),
      });
    }
  }

  /** The tallies, once every line is in. */
  finish(): ResultSet {
    for (const run of this.runs.values()) for (const t of run.tasks.values()) t.samples.sort((a, b) => a.index - b.index);
    if (this.labels) for (const run of this.runs.values()) judgeMissingSoft(run, this.labels);
    return { files: [...this.files], runs: [...this.runs.values()], environmentFailures: [...this.environmentFailures] };
  }

  get size(): number {
    return this.runs.size;
  }
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
