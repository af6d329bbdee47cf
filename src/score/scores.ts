import { bootstrapMeans, Resampler, taskMatrix, type BootstrapOptions, type Interval } from './bootstrap.js';
import { taskGroups, type TaskGroup, type TaskGroups } from './groups.js';
import { passAtK } from './passk.js';
import type { ResultSet, RunResults } from './tally.js';
import { compareExperiments, STEPS_EXPERIMENT } from '../core/experiments.js';
import type { Status } from '../core/status.js';
import type { Dataset, Subset } from '../core/task.js';

export interface ScoreOptions {
  /** The k values, ascending. */
  ks: readonly number[];
  bootstrap: BootstrapOptions;
  /** Share draws with other scoring (comparisons); made from `bootstrap` when absent. */
  resampler?: Resampler;
  /** Task IDs found broken by `dataset validate`. */
  broken: ReadonlySet<string>;
  /** Leave broken tasks out of every average. */
  excludeBroken: boolean;
  /** Models in this order first (e.g. as the samples file has them); the rest alphabetically. */
  modelOrder?: readonly string[];
}

export interface GroupScore {
  group: string;
  /** Tasks of this group with results in this run that count towards the averages. */
  tasks: number;
  /** Broken tasks of this group that have results in this run (counted or not). */
  brokenTasks: number;
  /** Fewest samples any counted task has; null when no task counts. */
  minSamples: number | null;
  /** Mean pass@k over the counted tasks, one entry per k; null when some task has n < k. */
  passAtK: (number | null)[];
  /** Bootstrap interval of each mean, or null where the mean is null. */
  ci: (Interval | null)[];
}

export interface TaskScore {
  taskId: string;
  subset: Subset;
  cweGroup: string | null;
  broken: boolean;
  /** False when the task is left out of the averages (broken, with --exclude-broken). */
  counted: boolean;
  n: number;
  c: number;
  passAtK: (number | null)[];
}

export interface RunScores {
  model: string;
  experiment: string;
  files: string[];
  samples: number;
  statuses: Record<Status, number>;
  /** Tasks with results in this run, in dataset order. */
  tasks: TaskScore[];
  subsets: GroupScore[];
  cwes: GroupScore[];
  /** Only for the vulnerability-aware generation experiment (the paper's Table 3). */
  steps: { with: GroupScore; without: GroupScore } | null;
}

export interface Scores {
  ks: number[];
  groups: TaskGroups;
  runs: RunScores[];
}

/**
 * Score every run of a result set; runs come out grouped by model, experiments in paper order.
 * The order never depends on the order of lines (evaluate writes them as samples finish): the
 * given model order first, then the other models alphabetically.
 */
export function scoreResults(results: ResultSet, dataset: Dataset, opts: ScoreOptions): Scores {
  const groups = taskGroups(dataset);
  const modelOrder = new Map<string, number>();
  for (const m of opts.modelOrder ?? []) if (!modelOrder.has(m)) modelOrder.set(m, modelOrder.size);
  for (const m of [...new Set(results.runs.map((r) => r.model))].sort()) if (!modelOrder.has(m)) modelOrder.set(m, modelOrder.size);
  const ordered = [...results.runs].sort(
    (a, b) => modelOrder.get(a.model)! - modelOrder.get(b.model)! || compareExperiments(a.experiment, b.experiment),
  );
  const shared = { ...opts, resampler: opts.resampler ?? new Resampler(opts.bootstrap) };
  return { ks: [...opts.ks], groups, runs: ordered.map((r) => scoreRun(r, dataset, groups, shared)) };
}

export function scoreRun(run: RunResults, dataset: Dataset, groups: TaskGroups, opts: ScoreOptions): RunScores {
  const tasks: TaskScore[] = [];
  const byId = new Map<string, TaskScore>();
  for (const task of dataset.tasks) {
    const tally = run.tasks.get(task.id);
    if (!tally) continue;
    const broken = opts.broken.has(task.id);
    const ts: TaskScore = {
      taskId: task.id,
      subset: task.subset,
      cweGroup: task.cweGroup,
      broken,
      counted: !(broken && opts.excludeBroken),
      n: tally.n,
      c: tally.c,
      passAtK: opts.ks.map((k) => passAtK(tally.n, tally.c, k)),
    };
    tasks.push(ts);
    byId.set(task.id, ts);
  }
  const resampler = opts.resampler ?? new Resampler(opts.bootstrap);
  const score = (g: TaskGroup) => scoreGroup(g, byId, opts.ks, resampler);
  return {
    model: run.model,
    experiment: run.experiment,
    files: run.files,
    samples: run.samples,
    statuses: run.statuses,
    tasks,
    subsets: groups.subsets.map(score),
    cwes: groups.cwes.map(score),
    steps:
      groups.steps && run.experiment === STEPS_EXPERIMENT
        ? { with: score(groups.steps.with), without: score(groups.steps.without) }
        : null,
  };
}

/** What `scoreGroup` needs of a task: any per-task estimate in the `passAtK` slot (func@k too). */
export type GroupMember = Pick<TaskScore, 'broken' | 'counted' | 'n' | 'passAtK'>;

/** Mean over the group's counted tasks of each k's per-task value, with bootstrap intervals. */
export function scoreGroup(
  group: TaskGroup,
  byId: ReadonlyMap<string, GroupMember>,
  ks: readonly number[],
  resampler: Resampler,
): GroupScore {
  const counted: GroupMember[] = [];
  let brokenTasks = 0;
  for (const id of group.ids) {
    const ts = byId.get(id);
    if (!ts) continue;
    if (ts.broken) brokenTasks++;
    if (ts.counted) counted.push(ts);
  }
  const K = ks.length;
  const passAtKMeans: (number | null)[] = new Array(K).fill(null);
  const ci: (Interval | null)[] = new Array(K).fill(null);
  // A mean over only the tasks that happen to have k samples would be a different benchmark,
  // so a k is available for the group only when every counted task has it.
  const available = ks.map((_, j) => counted.length > 0 && counted.every((t) => t.passAtK[j] !== null));
  const cols = available.flatMap((ok, j) => (ok ? [j] : []));
  if (cols.length) {
    const m = taskMatrix(
      counted.map((t) => cols.map((j) => t.passAtK[j]!)),
      cols.length,
    );
    const intervals = bootstrapMeans(m, resampler)!;
    cols.forEach((j, col) => {
      let sum = 0;
      for (const t of counted) sum += t.passAtK[j]!;
      passAtKMeans[j] = sum / counted.length;
      ci[j] = intervals[col]!;
    });
  }
  return {
    group: group.label,
    tasks: counted.length,
    brokenTasks,
    minSamples: counted.length ? Math.min(...counted.map((t) => t.n)) : null,
    passAtK: passAtKMeans,
    ci,
  };
}
