import { judgeSample, LabelMismatchError, type SampleJudgement } from './judge.js';
import type { TaskLabels } from './labels.js';
import { DatasetError } from '../core/errors.js';
import type { ResultLine } from '../core/result.js';
import type { Dataset } from '../core/task.js';

/**
 * What one result line means: the single definition `score`, `report`, `analyze` and `view`
 * share, so the rules cannot drift between the scorer and the viewer.
 */

/** Experiment name used when a results line does not carry one. */
export const UNKNOWN_EXPERIMENT = 'unknown';

/** Where a line came from, for messages and for naming runs without a `model` field. */
export interface LineOrigin {
  /** `file:line`. */
  where: string;
  file: string;
  /** The run name for lines without `model`: the file's base name. */
  fallbackModel: string;
}

export interface AcceptedLine {
  model: string;
  experiment: string;
  /**
   * The soft-assert judgement against the task's labels: null when the line has no `soft`
   * field or the task has no labels, or when the soft run gave no outcome and no label
   * makes that a verdict.
   */
  judgement: SampleJudgement | null;
}

export interface AcceptOptions {
  /** Assert labels per task: lines with `soft` are judged against them. */
  labels?: ReadonlyMap<string, TaskLabels> | null;
  /** Lines of tasks outside the dataset are accepted (the viewer flags them) instead of refused. */
  allowUnknownTasks?: boolean;
}

/**
 * Checks one result line and names its run. Throws a DatasetError naming file, line, record
 * and field for a line no score may count: `passed` contradicting `status`, a task outside
 * the dataset (unless allowed), a `soft` outcome that does not match the task's labels.
 */
export function acceptResultLine(r: ResultLine, origin: LineOrigin, dataset: Dataset, opts: AcceptOptions = {}): AcceptedLine {
  const { where } = origin;
  if (r.passed !== (r.status === 'passed')) {
    throw new DatasetError(where, `"passed" is ${r.passed} but "status" is "${r.status}"`, undefined, 'passed');
  }
  if (!opts.allowUnknownTasks && !dataset.byId.has(r.task_id)) {
    throw new DatasetError(where, `task is not in the dataset ${dataset.source}`, r.task_id, 'task_id');
  }
  const model = r.model ?? origin.fallbackModel;
  const experiment = r.experiment ?? UNKNOWN_EXPERIMENT;
  let judgement: SampleJudgement | null = null;
  const labels = opts.labels?.get(r.task_id);
  // `soft: null` says the soft run gave no outcome; no field at all, that it was not asked for.
  if (labels && r.soft !== undefined) {
    try {
      judgement = judgeSample(r.soft ?? undefined, labels);
    } catch (e) {
      if (e instanceof LabelMismatchError) throw new DatasetError(where, e.message, r.task_id, 'soft');
      throw e;
    }
  }
  return { model, experiment, judgement };
}

/**
 * Remembers where each (model, experiment, task, sample) was first seen, so a sample is never
 * counted twice. Memory grows with the number of samples, not with their code.
 */
export class SampleRegister {
  /** run (model NUL experiment) -> task -> sample index -> where it was first seen. */
  private readonly seen = new Map<string, Map<string, Map<number, string>>>();

  /** Records the sample; throws a DatasetError when it was already seen. */
  claim(r: ResultLine, line: AcceptedLine, origin: LineOrigin): void {
    const runKey = `${line.model}\u0000${line.experiment}`;
    let run = this.seen.get(runKey);
    if (!run) this.seen.set(runKey, (run = new Map()));
    let task = run.get(r.task_id);
    if (!task) run.set(r.task_id, (task = new Map()));
    const first = task.get(r.sample_index);
    if (first !== undefined) {
      throw new DatasetError(
        origin.where,
        `duplicate sample ${r.sample_index} of ${line.model} / ${line.experiment} (first at ${first})`,
        r.task_id,
        'sample_index',
      );
    }
    task.set(r.sample_index, origin.where);
  }
}
