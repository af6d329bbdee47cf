import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BENCHMARKS } from '../src/benchmarks/index.js';
import type { Executor } from '../src/core/exec.js';
import { EXECUTORS } from '../src/sandbox/index.js';
import { BENCHMARK_DATA } from './helpers/contracts/benchmark.js';
import { executorContract } from './helpers/contracts/executor.js';

// Every registered backend runs the same suite: a new one is covered by its registry entry.
for (const entry of EXECUTORS) executorContract(entry.name, (opts) => entry.create(opts));

// Every benchmark's jobs on every backend: jobs carry content only, so whatever a benchmark
// assembles must run wherever it is sent. The small data sets' secure references all pass
// (one reads its fixture file). Insecure references are not checked: the CodeSecEval set
// holds one that passes on purpose, as upstream has such tasks.
for (const entry of EXECUTORS) {
  describe(`benchmark jobs on ${entry.name}`, () => {
    let ex: Executor;
    beforeAll(() => {
      ex = entry.create({ jobs: 2, timeoutSec: 10, onWarning: () => {} });
    });
    afterAll(() => ex?.close());

    for (const bench of BENCHMARKS) {
      it(`${bench.kind}: references give their expected verdicts`, async () => {
        const own = BENCHMARK_DATA.filter((f) => bench.recognises(f));
        expect(own).toHaveLength(1);
        const ds = bench.load(own[0]!);
        if (bench.references.secure) {
          const secure = await ex.run(ds.tasks.map((t) => bench.job(t, bench.program(t, { solution: t.secureCode }))));
          expect(secure.map((r, i) => `${ds.tasks[i]!.id}: ${r.status} ${r.detail}`)).toEqual(ds.tasks.map((t) => `${t.id}: passed `));
        } else {
          // SALLM publishes only the insecure module: it passes its functionality cases and fails a security one.
          const insecure = await ex.run(ds.tasks.map((t) => bench.job(t, bench.program(t, { solution: t.insecureCode! }))));
          insecure.forEach((r, i) => {
            const id = ds.tasks[i]!.id;
            expect(r.status, `${id}: ${r.detail}`).toBe('failed');
            expect(r.cases!.filter((c) => c.role === 'functionality').every((c) => c.outcome === 'passed'), id).toBe(true);
            expect(r.cases!.some((c) => c.role === 'security' && c.outcome === 'failed'), id).toBe(true);
          });
        }
        // HumanEval-style completions: the Problem continued by the reference's body.
        const completions = ds.tasks.filter((t) => t.secureCode.startsWith(t.problem) && t.secureCode.length > t.problem.length);
        const completed = await ex.run(completions.map((t) => bench.job(t, bench.program(t, { completion: t.secureCode.slice(t.problem.length) }))));
        completed.forEach((r, i) => expect(r.status, completions[i]!.id).toBe('passed'));
      });
    }
  });
}

describe('executor registry', () => {
  it('names each backend once, with a one-line description', () => {
    const names = EXECUTORS.map((e) => e.name);
    expect(new Set(names).size).toBe(names.length);
    for (const e of EXECUTORS) expect(e.description).toMatch(/^[^\n]+$/);
  });

  it('warns about running unsandboxed exactly for the backend without isolation', () => {
    for (const e of EXECUTORS) {
      const warnings: string[] = [];
      const ex = e.create({ jobs: 1, onWarning: (w) => warnings.push(w) });
      ex.close();
      expect(warnings.some((w) => /UNSANDBOXED/.test(w)), e.name).toBe(e.name === 'none');
    }
  });
});
