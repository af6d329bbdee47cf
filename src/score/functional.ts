import { bootstrapRatio, type Interval, type Resampler } from './bootstrap.js';
import type { TaskGroup, TaskGroups } from './groups.js';
import { allLabelled, canSplit, type TaskLabels } from './labels.js';
import { passAtK } from './passk.js';
import type { RunResults } from './tally.js';
import { scoreGroup, type GroupMember, type GroupScore, type RunScores } from './scores.js';
import type { Subset } from '../core/task.js';

export interface TaskSplit {
  taskId: string;
  subset: Subset;
  cweGroup: string | null;
  broken: boolean;
  counted: boolean;
  /** The task has a functional and a security check, so it enters the group scores. */
  canSplit: boolean;
  /** Every assert is functional or security: func-sec@k equals pass@k here. */
  allLabelled: boolean;
  /** Samples with a soft outcome judged. */
  n: number;
  functional: number;
  functionalSecure: number;
  vulnerable: number;
  funcAtK: (number | null)[];
  funcSecAtK: (number | null)[];
}

export interface SplitGroup {
  group: string;
  /** Counted tasks that can split and have judged samples. */
  tasks: number;
  /** Mean func@k (in the `passAtK` slot), with intervals. */
  func: GroupScore;
  /** Mean func-sec@k (in the `passAtK` slot), with intervals. */
  funcSec: GroupScore;
  functionalSamples: number;
  vulnerableSamples: number;
  /** vulnerable / functional samples, pooled over the tasks; null with no functional sample. */
  vulnerableRate: number | null;
  vulnerableCi: Interval | null;
}

export interface RunSplit {
  model: string;
  experiment: string;
  /** Samples of this run judged against labels. */
  judgedSamples: number;
  /** Every task with judged samples, in dataset order (also those that cannot split). */
  tasks: TaskSplit[];
  subsets: SplitGroup[];
  cwes: SplitGroup[];
}

/**
 * func@k, func-sec@k and the vulnerable rate of one run, per subset and CWE group, over the
 * tasks that can split. Broken tasks count or not exactly as in the run's pass@k scores.
 * Null when no sample of the run was judged.
 */
export function scoreSplit(
  raw: RunResults,
  scored: RunScores,
  labels: ReadonlyMap<string, TaskLabels>,
  groups: TaskGroups,
  ks: readonly number[],
  resampler: Resampler,
): RunSplit | null {
  const tasks: TaskSplit[] = [];
  for (const t of scored.tasks) {
    const tally = raw.tasks.get(t.taskId)?.split;
    const lab = labels.get(t.taskId);
    if (!tally || tally.n === 0 || !lab) continue;
    tasks.push({
      taskId: t.taskId,
      subset: t.subset,
      cweGroup: t.cweGroup,
      broken: t.broken,
      counted: t.counted,
      canSplit: canSplit(lab),
      allLabelled: allLabelled(lab),
      n: tally.n,
      functional: tally.functional,
      functionalSecure: tally.functionalSecure,
      vulnerable: tally.functional - tally.functionalSecure,
      funcAtK: ks.map((k) => passAtK(tally.n, tally.functional, k)),
      funcSecAtK: ks.map((k) => passAtK(tally.n, tally.functionalSecure, k)),
    });
  }
  if (!tasks.length) return null;
  const members = tasks.filter((t) => t.canSplit);
  const func = new Map<string, GroupMember>(members.map((t) => [t.taskId, { ...t, passAtK: t.funcAtK }]));
  const funcSec = new Map<string, GroupMember>(members.map((t) => [t.taskId, { ...t, passAtK: t.funcSecAtK }]));
  const byId = new Map(members.map((t) => [t.taskId, t]));
  const score = (g: TaskGroup): SplitGroup => {
    const inGroup = g.ids.flatMap((id) => {
      const t = byId.get(id);
      return t && t.counted ? [t] : [];
    });
    const functionalSamples = inGroup.reduce((s, t) => s + t.functional, 0);
    const vulnerableSamples = inGroup.reduce((s, t) => s + t.vulnerable, 0);
    return {
      group: g.label,
      tasks: inGroup.length,
      func: scoreGroup(g, func, ks, resampler),
      funcSec: scoreGroup(g, funcSec, ks, resampler),
      functionalSamples,
      vulnerableSamples,
      vulnerableRate: functionalSamples ? vulnerableSamples / functionalSamples : null,
      vulnerableCi: bootstrapRatio(
        inGroup.map((t) => t.vulnerable),
        inGroup.map((t) => t.functional),
        resampler,
      ),
    };
  };
  return {
    model: scored.model,
    experiment: scored.experiment,
    judgedSamples: tasks.reduce((s, t) => s + t.n, 0),
    tasks,
    subsets: groups.subsets.map(score),
    cwes: groups.cwes.map(score),
  };
}
