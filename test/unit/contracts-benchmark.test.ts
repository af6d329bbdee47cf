import { describe, expect, it } from 'vitest';
import { BENCHMARKS, loadDataset } from '../../src/benchmarks/index.js';
import { BENCHMARK_DATA, benchmarkContract } from '../helpers/contracts/benchmark.js';

for (const bench of BENCHMARKS) {
  const own = BENCHMARK_DATA.filter((f) => bench.recognises(f));
  if (own.length !== 1) {
    it(`benchmark contract: ${bench.kind} has exactly one data set in its layout`, () => {
      expect(own, `add a small data set for "${bench.kind}" to BENCHMARK_DATA (test/helpers/contracts/benchmark.ts)`).toHaveLength(1);
    });
    continue;
  }
  benchmarkContract(bench.kind, () => bench, { own: own[0]!, others: BENCHMARK_DATA.filter((f) => f !== own[0]) });
}

describe('benchmark registry', () => {
  it('has one entry per kind, and loadDataset picks the entry that recognises the data', () => {
    const kinds = BENCHMARKS.map((b) => b.kind);
    expect(new Set(kinds).size).toBe(kinds.length);
    // A task finds its benchmark by its subset, so no two benchmarks share one.
    const subsets = BENCHMARKS.flatMap((b) => b.subsets);
    expect(new Set(subsets).size).toBe(subsets.length);
    const envs = BENCHMARKS.map((b) => b.datasetEnv);
    expect(new Set(envs).size).toBe(envs.length);
    for (const f of BENCHMARK_DATA) {
      const claims = BENCHMARKS.filter((b) => b.recognises(f));
      expect(claims, f).toHaveLength(1);
      expect(loadDataset(f).kind).toBe(claims[0]!.kind);
    }
  });
});
