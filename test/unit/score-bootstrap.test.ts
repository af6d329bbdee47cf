import { describe, expect, it } from 'vitest';
import { bootstrapMeans, DEFAULT_BOOTSTRAP, pairedCompare, Resampler, taskMatrix } from '../../src/score/bootstrap.js';
import { mulberry32 } from '../../src/score/rng.js';

function randomRows(seed: number, T: number, K: number): number[][] {
  const rng = mulberry32(seed);
  return Array.from({ length: T }, () => Array.from({ length: K }, () => Math.round(rng() * 10) / 10));
}

/** Reference percentile bootstrap: same draws, plain sort. */
function naiveInterval(rows: number[][], col: number, r: Resampler): [number, number] {
  const T = rows.length;
  const idx = r.indices(T);
  const means: number[] = [];
  for (let b = 0; b < r.opts.resamples; b++) {
    let s = 0;
    for (let i = 0; i < T; i++) s += rows[idx[b * T + i]!]![col]!;
    means.push(s / T);
  }
  means.sort((a, b) => a - b);
  const q = (p: number) => {
    const pos = (means.length - 1) * p;
    const lo = Math.floor(pos);
    const hi = Math.ceil(pos);
    return means[lo]! + (means[hi]! - means[lo]!) * (pos - lo);
  };
  const alpha = (1 - r.opts.confidence) / 2;
  return [q(alpha), q(1 - alpha)];
}

describe('bootstrapMeans', () => {
  it('is deterministic for a seed and changes with the seed', () => {
    const rows = randomRows(7, 50, 3);
    const a = bootstrapMeans(taskMatrix(rows, 3), new Resampler(DEFAULT_BOOTSTRAP));
    const b = bootstrapMeans(taskMatrix(rows, 3), new Resampler(DEFAULT_BOOTSTRAP));
    const c = bootstrapMeans(taskMatrix(rows, 3), new Resampler({ ...DEFAULT_BOOTSTRAP, seed: 99 }));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('matches a sort-based percentile bootstrap on the same draws', () => {
    for (const T of [1, 2, 5, 37, 180]) {
      const rows = randomRows(T, T, 2);
      const r = new Resampler({ resamples: 999, confidence: 0.9, seed: 3 });
      const got = bootstrapMeans(taskMatrix(rows, 2), r)!;
      for (const col of [0, 1]) {
        const [lo, hi] = naiveInterval(rows, col, r);
        expect(got[col]![0]).toBeCloseTo(lo, 12);
        expect(got[col]![1]).toBeCloseTo(hi, 12);
      }
    }
  });

  it('brackets the mean, and collapses for constant values', () => {
    const rows = randomRows(11, 120, 1);
    const mean = rows.reduce((s, r) => s + r[0]!, 0) / rows.length;
    const [[lo, hi]] = bootstrapMeans(taskMatrix(rows, 1), new Resampler(DEFAULT_BOOTSTRAP))! as [[number, number]];
    expect(lo).toBeLessThan(mean);
    expect(hi).toBeGreaterThan(mean);
    const flat = bootstrapMeans(taskMatrix(rows.map(() => [0.25]), 1), new Resampler(DEFAULT_BOOTSTRAP))!;
    expect(flat[0]).toEqual([0.25, 0.25]);
    expect(bootstrapMeans(taskMatrix([], 1), new Resampler(DEFAULT_BOOTSTRAP))).toBeNull();
  });

  it('draws indices inside the task range', () => {
    const idx = new Resampler(DEFAULT_BOOTSTRAP).indices(13);
    expect(idx.length).toBe(DEFAULT_BOOTSTRAP.resamples * 13);
    expect(Math.min(...idx)).toBe(0);
    expect(Math.max(...idx)).toBe(12);
  });

  it('rejects bad options', () => {
    expect(() => new Resampler({ ...DEFAULT_BOOTSTRAP, resamples: 0 })).toThrow(/resamples/);
    expect(() => new Resampler({ ...DEFAULT_BOOTSTRAP, confidence: 1 })).toThrow(/confidence/);
  });
});

describe('pairedCompare', () => {
  const r = new Resampler(DEFAULT_BOOTSTRAP);

  it('gives a positive difference when B is better, and flips sign when swapped', () => {
    const a = randomRows(5, 60, 2);
    const b = a.map((row, t) => row.map((v) => Math.min(1, v + (t % 3 === 0 ? 0 : 0.2))));
    const ab = pairedCompare(taskMatrix(a, 2), taskMatrix(b, 2), r, 2000)!;
    const ba = pairedCompare(taskMatrix(b, 2), taskMatrix(a, 2), r, 2000)!;
    for (let j = 0; j < 2; j++) {
      expect(ab[j]!.diff).toBeGreaterThan(0);
      expect(ab[j]!.ci[0]).toBeGreaterThan(0);
      expect(ab[j]!.pValue).toBeLessThan(0.01);
      expect(ba[j]!.diff).toBeCloseTo(-ab[j]!.diff, 12);
      expect(ba[j]!.ci[1]).toBeLessThan(0);
      expect(ba[j]!.pValue).toBe(ab[j]!.pValue);
      expect(ab[j]!.bBetter).toBe(ba[j]!.aBetter);
      expect(ab[j]!.aBetter).toBe(0);
      expect(ab[j]!.meanB - ab[j]!.meanA).toBeCloseTo(ab[j]!.diff, 12);
    }
  });

  it('finds nothing between identical or mirror-image runs', () => {
    const a = randomRows(8, 40, 1);
    const same = pairedCompare(taskMatrix(a, 1), taskMatrix(a, 1), r, 500)![0]!;
    expect(same.diff).toBe(0);
    expect(same.pValue).toBe(1);
    expect(same.ties).toBe(40);
    // Differences +d and -d in equal measure: the mean difference is exactly 0.
    const base = Array.from({ length: 40 }, () => [0.5]);
    const b = base.map((row, t) => [row[0]! + (t % 2 ? 0.25 : -0.25)]);
    const mirror = pairedCompare(taskMatrix(base, 1), taskMatrix(b, 1), r, 500)![0]!;
    expect(mirror.diff).toBeCloseTo(0, 12);
    expect(mirror.pValue).toBe(1);
    expect(mirror.bBetter).toBe(20);
    expect(mirror.aBetter).toBe(20);
  });

  it('approximates the exact sign-flip p-value', () => {
    // Three tasks, all +1: of the 8 sign patterns, 2 reach |mean| = 1, so p = 0.25.
    const p = pairedCompare(taskMatrix([[0], [0], [0]], 1), taskMatrix([[1], [1], [1]], 1), r, 20000)![0]!.pValue;
    expect(p).toBeGreaterThan(0.235);
    expect(p).toBeLessThan(0.265);
  });
});
