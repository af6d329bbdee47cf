import path from 'node:path';
import { acceptResultLine, SampleRegister, type LineOrigin } from './accept.js';
import { addToTally, judgeSample, type SampleJudgement, type SplitTally } from './judge.js';
import type { TaskLabels } from './labels.js';
import { addCases, emptyCaseTally, judgeCases, type CaseTally } from './case-judge.js';
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

export { UNKNOWN_EXPERIMENT, type LineOrigin } from './accept.js';

/** The model name of results lines without one: their file's base name. */
export function fallbackModel(file: string): string {
  return path.basename(file).replace(/\.jsonl?$/i, '');
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
  private readonly register = new SampleRegister();
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
    const { file } = origin;
    if (!this.files.includes(file)) this.files.push(file);
    const line = acceptResultLine(r, origin, this.dataset, { labels: this.labels });
    const { model, experiment, judgement } = line;
    const key = `${model}\u0000${experiment}`;
    let run = this.runs.get(key);
    if (!run) {
      run = { model, experiment, files: [], samples: 0, statuses: emptyStatusCounts(), tasks: new Map(), softSamples: 0 };
      this.runs.set(key, run);
    }
    if (!run.files.includes(file)) run.files.push(file);
    this.register.claim(r, line, origin);

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
    // No `soft` field: not run in soft mode, or (from evaluate) its soft run gave no outcome
    // (see finish).
    if (r.soft === undefined) {
      tally.withoutSoft++;
    } else {
      run.softSamples++;
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
