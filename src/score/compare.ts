import { pairedCompare, taskMatrix, type PairedColumn, type Resampler } from './bootstrap.js';
import type { RunScores } from './scores.js';
import { EXPERIMENT_PAIRS } from '../core/experiments.js';

export interface RunRef {
  model: string;
  experiment: string;
}

export interface Comparison {
  /** The baseline. */
  a: RunRef;
  /** The run compared against it; differences are b - a. */
  b: RunRef;
  /** Tasks counted in both runs. */
  tasks: number;
  /** One entry per k; null where some common task has fewer than k samples in either run. */
  perK: (PairedColumn | null)[];
}

export interface CompareOptions {
  resampler: Resampler;
  /** Sign flips for the permutation p-value (default 2000). */
  permutations: number;
}

/** Paired comparison over the tasks both runs count (the overall CodeSecEval score). */
export function compareRuns(a: RunScores, b: RunScores, ks: readonly number[], opts: CompareOptions): Comparison {
  const bTasks = new Map(b.tasks.filter((t) => t.counted).map((t) => [t.taskId, t]));
  const pairs = a.tasks.filter((t) => t.counted && bTasks.has(t.taskId)).map((t) => [t, bTasks.get(t.taskId)!] as const);
  const perK: (PairedColumn | null)[] = new Array(ks.length).fill(null);
  const cols = ks.flatMap((_, j) =>
    pairs.length > 0 && pairs.every(([x, y]) => x.passAtK[j] !== null && y.passAtK[j] !== null) ? [j] : [],
  );
  if (cols.length) {
    const ma = taskMatrix(pairs.map(([x]) => cols.map((j) => x.passAtK[j]!)), cols.length);
    const mb = taskMatrix(pairs.map(([, y]) => cols.map((j) => y.passAtK[j]!)), cols.length);
    const res = pairedCompare(ma, mb, opts.resampler, opts.permutations)!;
    cols.forEach((j, col) => (perK[j] = res[col]!));
  }
  return {
    a: { model: a.model, experiment: a.experiment },
    b: { model: b.model, experiment: b.experiment },
    tasks: pairs.length,
    perK,
  };
}

/**
 * The comparisons `report --compare` makes: within each model, the paper's pairs (does the
 * extra information help?); within each experiment, every other model against the first
 * model given (is this model better than the baseline?).
 */
export function defaultPairs(runs: readonly RunScores[]): [RunScores, RunScores][] {
  const out: [RunScores, RunScores][] = [];
  const find = (model: string, experiment: string) => runs.find((r) => r.model === model && r.experiment === experiment);
  const models = [...new Set(runs.map((r) => r.model))];
  for (const model of models) {
    for (const [ea, eb] of EXPERIMENT_PAIRS) {
      const a = find(model, ea);
      const b = find(model, eb);
      if (a && b) out.push([a, b]);
    }
  }
  const baseline = models[0];
  if (baseline !== undefined) {
    const experiments = [...new Set(runs.map((r) => r.experiment))];
    for (const experiment of experiments) {
      const a = find(baseline, experiment);
      if (!a) continue;
      for (const model of models.slice(1)) {
        const b = find(model, experiment);
        if (b) out.push([a, b]);
      }
    }
  }
  return out;
}
