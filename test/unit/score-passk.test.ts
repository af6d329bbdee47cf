import { describe, expect, it } from 'vitest';
import { parseKList, passAtK } from '../../src/score/passk.js';

/** Exact binomial coefficient, independent of the estimator's product form. */
function comb(n: number, k: number): number {
  if (k < 0 || k > n) return 0;
  let r = 1n;
  for (let i = 1n; i <= BigInt(k); i++) r = (r * (BigInt(n) - BigInt(k) + i)) / i;
  return Number(r);
}
const definition = (n: number, c: number, k: number) => 1 - comb(n - c, k) / comb(n, k);

describe('passAtK', () => {
  it('matches values computed by hand', () => {
    expect(passAtK(10, 3, 1)).toBeCloseTo(0.3, 12);
    expect(passAtK(10, 3, 5)).toBeCloseTo(1 - 21 / 252, 12);
    expect(passAtK(10, 0, 5)).toBe(0);
    expect(passAtK(10, 10, 1)).toBe(1);
    expect(passAtK(5, 1, 5)).toBe(1);
    expect(passAtK(1, 1, 1)).toBe(1);
    expect(passAtK(1, 0, 1)).toBe(0);
  });

  it('agrees with 1 - C(n-c,k)/C(n,k) on every small case', () => {
    for (let n = 1; n <= 12; n++)
      for (let c = 0; c <= n; c++)
        for (let k = 1; k <= n; k++) expect(passAtK(n, c, k)).toBeCloseTo(definition(n, c, k), 12);
  });

  it('stays finite and in [0, 1] where binomials overflow', () => {
    const v = passAtK(2000, 7, 100)!;
    expect(Number.isFinite(v)).toBe(true);
    expect(v).toBeGreaterThan(0);
    expect(v).toBeLessThan(1);
    // 1 - prod (1 - k/i) for i = 1994..2000, computed directly.
    let miss = 1;
    for (let i = 1994; i <= 2000; i++) miss *= 1 - 100 / i;
    expect(v).toBeCloseTo(1 - miss, 12);
  });

  it('is not available when k exceeds n, never clamped', () => {
    expect(passAtK(5, 5, 10)).toBeNull();
    expect(passAtK(3, 1, 4)).toBeNull();
    expect(passAtK(0, 0, 1)).toBeNull();
  });

  it('rejects impossible inputs', () => {
    expect(() => passAtK(5, 6, 1)).toThrow(/outside/);
    expect(() => passAtK(5, -1, 1)).toThrow(/outside/);
    expect(() => passAtK(5, 1, 0)).toThrow(/at least 1/);
    expect(() => passAtK(5.5, 1, 1)).toThrow(/integers/);
  });
});

describe('parseKList', () => {
  it('parses, deduplicates and sorts', () => {
    expect(parseKList('10,1, 5,1')).toEqual([1, 5, 10]);
    expect(parseKList('1,3,5,7,10')).toEqual([1, 3, 5, 7, 10]);
  });
  it('rejects anything but positive integers', () => {
    for (const bad of ['', '0', '1,,2', 'a', '1.5', '-1']) expect(() => parseKList(bad)).toThrow(/positive integers/);
  });
});
