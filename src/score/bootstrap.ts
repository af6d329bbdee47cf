import { deriveSeed, mulberry32 } from './rng.js';

export interface BootstrapOptions {
  /** Number of resamples (default 1000). */
  resamples: number;
  /** Two-sided confidence level (default 0.95). */
  confidence: number;
  /** Seed of every draw: the same seed, task count and data give the same interval. */
  seed: number;
}

export const DEFAULT_BOOTSTRAP: BootstrapOptions = { resamples: 1000, confidence: 0.95, seed: 1 };

/** A [low, high] interval. */
export type Interval = [number, number];

/**
 * Per-task values for several k at once, stored column by column: column j holds every
 * task's value for the j-th k, so one resample of task indices serves every k and each
 * column is summed from contiguous memory.
 */
export interface TaskMatrix {
  tasks: number;
  cols: number;
  /** values[j * tasks + t] is task t's value in column j. */
  values: Float64Array;
}

export function taskMatrix(rows: readonly (readonly number[])[], cols: number): TaskMatrix {
  const T = rows.length;
  const values = new Float64Array(T * cols);
  rows.forEach((r, t) => {
    for (let j = 0; j < cols; j++) values[j * T + t] = r[j] ?? Number.NaN;
  });
  return { tasks: T, cols, values };
}

function columnMeans(m: TaskMatrix): number[] {
  const out: number[] = [];
  for (let j = 0; j < m.cols; j++) {
    let sum = 0;
    for (let t = 0; t < m.tasks; t++) sum += m.values[j * m.tasks + t]!;
    out.push(sum / m.tasks);
  }
  return out;
}

/**
 * Linear-interpolated quantile (the "type 7" definition). Reorders `xs` in place: only the
 * needed order statistics are selected (quickselect), because a full sort of every
 * bootstrap distribution would dominate the report's run time.
 */
function quantile(xs: Float64Array, q: number): number {
  const pos = (xs.length - 1) * q;
  const lo = Math.floor(pos);
  const a = select(xs, lo);
  if (pos === lo) return a;
  // After selecting lo, everything right of it is >= xs[lo]: the next order statistic is
  // their minimum.
  let b = Infinity;
  for (let i = lo + 1; i < xs.length; i++) if (xs[i]! < b) b = xs[i]!;
  return a + (b - a) * (pos - lo);
}

/** Hoare-style quickselect: puts the k-th smallest at index k and returns it. */
function select(xs: Float64Array, k: number): number {
  let left = 0;
  let right = xs.length - 1;
  while (right > left) {
    // Median of three guards against the sorted inputs that ties between tasks produce.
    const mid = (left + right) >>> 1;
    const pivot = median3(xs[left]!, xs[mid]!, xs[right]!);
    let i = left;
    let j = right;
    while (i <= j) {
      while (xs[i]! < pivot) i++;
      while (xs[j]! > pivot) j--;
      if (i <= j) {
        const t = xs[i]!;
        xs[i] = xs[j]!;
        xs[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else return xs[k]!;
  }
  return xs[k]!;
}

function median3(a: number, b: number, c: number): number {
  return a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b;
}

/**
 * Draws resamples and sign flips once per task count and reuses them: every run and group
 * with T tasks sees the same draws (common random numbers). Each interval is still a valid
 * bootstrap of its own data, it depends only on the seed, T and that data (not on what else
 * the report computes), and drawing is paid once instead of once per run and group.
 */
export class Resampler {
  private readonly draws = new Map<number, Int32Array>();
  private readonly flips = new Map<string, Float64Array>();

  constructor(readonly opts: BootstrapOptions) {
    if (!Number.isInteger(opts.resamples) || opts.resamples < 1) {
      throw new RangeError(`resamples must be a positive integer, got ${opts.resamples}`);
    }
    if (!(opts.confidence > 0 && opts.confidence < 1)) throw new RangeError(`confidence must be in (0, 1), got ${opts.confidence}`);
  }

  /** resamples x T task indices, row b at b * T. */
  indices(T: number): Int32Array {
    let idx = this.draws.get(T);
    if (!idx) {
      const rng = mulberry32(deriveSeed(this.opts.seed, `bootstrap:${T}`));
      idx = new Int32Array(this.opts.resamples * T);
      for (let i = 0; i < idx.length; i++) idx[i] = Math.floor(rng() * T);
      this.draws.set(T, idx);
    }
    return idx;
  }

  /** permutations x T signs (+1 or -1), row p at p * T. */
  signs(T: number, permutations: number): Float64Array {
    const key = `${T}:${permutations}`;
    let sg = this.flips.get(key);
    if (!sg) {
      const rng = mulberry32(deriveSeed(this.opts.seed, `permutation:${T}`));
      sg = new Float64Array(permutations * T);
      for (let i = 0; i < sg.length; i++) sg[i] = rng() < 0.5 ? -1 : 1;
      this.flips.set(key, sg);
    }
    return sg;
  }
}

/**
 * Percentile bootstrap over tasks of the mean of each column: tasks are resampled with
 * replacement, so the interval reflects how much the score depends on which tasks the
 * benchmark happens to contain. Returns one interval per column, or null with no tasks.
 */
export function bootstrapMeans(m: TaskMatrix, resampler: Resampler): Interval[] | null {
  if (m.tasks === 0) return null;
  const { resamples: B, confidence } = resampler.opts;
  const T = m.tasks;
  const idx = resampler.indices(T);
  const v = m.values;
  const means = Array.from({ length: m.cols }, () => new Float64Array(B));
  for (let j = 0; j < m.cols; j++) {
    const base = j * T;
    const out = means[j]!;
    for (let b = 0; b < B; b++) {
      const row = b * T;
      let sum = 0;
      for (let i = 0; i < T; i++) sum += v[base + idx[row + i]!]!;
      out[b] = sum / T;
    }
  }
  const alpha = (1 - confidence) / 2;
  return means.map((col) => [quantile(col, alpha), quantile(col, 1 - alpha)]);
}

export interface PairedColumn {
  meanA: number;
  meanB: number;
  /** mean(B) - mean(A): positive when B scores higher. */
  diff: number;
  ci: Interval;
  /** Two-sided sign-flip permutation p-value for "no difference". */
  pValue: number;
  /** Tasks where B scored higher, where A scored higher, and ties. */
  bBetter: number;
  aBetter: number;
  ties: number;
}

/**
 * Paired comparison of two runs on the same tasks. Under the null hypothesis that the runs
 * are exchangeable, each task's difference is equally likely to have either sign, so random
 * sign flips give the null distribution of the mean difference (a paired permutation test);
 * a paired bootstrap over tasks gives the interval.
 */
export function pairedCompare(a: TaskMatrix, b: TaskMatrix, resampler: Resampler, permutations: number): PairedColumn[] | null {
  if (a.tasks !== b.tasks || a.cols !== b.cols) throw new RangeError('paired comparison needs matching task matrices');
  const T = a.tasks;
  const K = a.cols;
  if (T === 0) return null;
  // Same layout as the inputs: column j, task t at j * T + t.
  const d = new Float64Array(T * K);
  for (let i = 0; i < T * K; i++) d[i] = b.values[i]! - a.values[i]!;
  const diffs: TaskMatrix = { tasks: T, cols: K, values: d };
  const ci = bootstrapMeans(diffs, resampler)!;
  const observed = columnMeans(diffs);
  const meansA = columnMeans(a);
  const meansB = columnMeans(b);

  // Float sums of the same terms in another order can differ in the last bits; without a
  // tolerance an exact tie with the observed statistic could be miscounted.
  const eps = 1e-12;
  const extreme = new Array<number>(K).fill(0);
  const signs = resampler.signs(T, permutations);
  for (let j = 0; j < K; j++) {
    const base = j * T;
    const limit = Math.abs(observed[j]!) - eps;
    let count = 0;
    for (let p = 0; p < permutations; p++) {
      const row = p * T;
      let sum = 0;
      for (let t = 0; t < T; t++) sum += signs[row + t]! * d[base + t]!;
      if (Math.abs(sum / T) >= limit) count++;
    }
    extreme[j] = count;
  }

  return observed.map((diff, j) => {
    let bBetter = 0;
    let aBetter = 0;
    for (let t = 0; t < T; t++) {
      const x = d[j * T + t]!;
      if (x > eps) bBetter++;
      else if (x < -eps) aBetter++;
    }
    return {
      meanA: meansA[j]!,
      meanB: meansB[j]!,
      diff,
      ci: ci[j]!,
      // The +1s count the observed arrangement itself, so p is never exactly 0.
      pValue: (extreme[j]! + 1) / (permutations + 1),
      bBetter,
      aBetter,
      ties: T - bBetter - aBetter,
    };
  });
}

/**
 * Percentile bootstrap over tasks of a ratio of sums, sum(num) / sum(den): a share of
 * samples pooled over tasks (such as vulnerable among functional samples), where resampling
 * the samples themselves would ignore that samples of one task are alike. Resamples whose
 * denominator is 0 have no ratio and are left out. Null with no tasks or a zero denominator.
 */
export function bootstrapRatio(num: readonly number[], den: readonly number[], resampler: Resampler): Interval | null {
  const T = num.length;
  if (T !== den.length) throw new RangeError('ratio bootstrap needs one denominator per numerator');
  if (T === 0 || den.reduce((a, b) => a + b, 0) === 0) return null;
  const { resamples: B, confidence } = resampler.opts;
  const idx = resampler.indices(T);
  const ratios = new Float64Array(B);
  let kept = 0;
  for (let b = 0; b < B; b++) {
    const row = b * T;
    let n = 0;
    let d = 0;
    for (let i = 0; i < T; i++) {
      const t = idx[row + i]!;
      n += num[t]!;
      d += den[t]!;
    }
    if (d > 0) ratios[kept++] = n / d;
  }
  if (kept === 0) return null;
  const alpha = (1 - confidence) / 2;
  const sample = ratios.subarray(0, kept);
  return [quantile(sample, alpha), quantile(sample, 1 - alpha)];
}
