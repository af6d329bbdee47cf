import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BOOTSTRAP } from '../../src/score/bootstrap.js';
import { compareRuns, defaultPairs } from '../../src/score/compare.js';
import { Resampler } from '../../src/score/bootstrap.js';
import { readResults } from '../../src/report/results-file.js';
import { scoreResults, type GroupScore, type Scores } from '../../src/score/scores.js';
import { fixtureDataset, resultLines, T, tempDir, writeJsonl } from '../helpers/report.js';
import type { Dataset } from '../../src/core/task.js';

const comb = (n: number, k: number): number => (k < 0 || k > n ? 0 : k === 0 ? 1 : (comb(n - 1, k - 1) * n) / k);
const def = (n: number, c: number, k: number) => 1 - comb(n - c, k) / comb(n, k);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

const COUNTS_A: Record<string, [number, number]> = {
  [T.age]: [10, 3],
  [T.port]: [10, 0],
  [T.profile]: [10, 10],
  [T.quantity]: [10, 5],
  [T.del]: [10, 1],
  [T.read]: [10, 7],
};
const KS = [1, 5, 10, 11];

let ds: Dataset;
let dir: string;
beforeAll(() => {
  ds = fixtureDataset();
  dir = tempDir();
});

async function score(files: string[], opts: { broken?: string[]; excludeBroken?: boolean } = {}): Promise<Scores> {
  const results = await readResults(files, ds);
  return scoreResults(results, ds, {
    ks: KS,
    bootstrap: DEFAULT_BOOTSTRAP,
    broken: new Set(opts.broken ?? []),
    excludeBroken: opts.excludeBroken ?? false,
  });
}

const group = (groups: GroupScore[], label: string) => groups.find((g) => g.group === label)!;

describe('scoring known-answer results', () => {
  it('averages unbiased pass@k over tasks per subset, CWE and k', async () => {
    const file = writeJsonl(path.join(dir, 'a.jsonl'), resultLines({ model: 'm1', experiment: 'direct-generation', counts: COUNTS_A }));
    const { runs } = await score([file]);
    expect(runs).toHaveLength(1);
    const run = runs[0]!;
    expect(run.samples).toBe(60);
    expect(run.statuses.passed).toBe(26);
    const overall = group(run.subsets, 'CodeSecEval');
    expect(overall.tasks).toBe(6);
    expect(overall.passAtK[0]).toBeCloseTo(26 / 60, 12);
    const p5 = Object.values(COUNTS_A).map(([n, c]) => def(n, c, 5));
    expect(overall.passAtK[1]).toBeCloseTo(mean(p5), 12);
    // Spelled out: (1-21/252) + 0 + 1 + (1-1/252) + (1-126/252) + 1, over 6.
    expect(overall.passAtK[1]).toBeCloseTo((1 - 21 / 252 + 0 + 1 + (1 - 1 / 252) + 0.5 + 1) / 6, 12);
    expect(overall.passAtK[2]).toBeCloseTo(5 / 6, 12);
    // k = 11 > n = 10: not available, never clamped to pass@10.
    expect(overall.passAtK[3]).toBeNull();
    expect(overall.ci[3]).toBeNull();
    expect(group(run.subsets, 'SecEvalBase').passAtK[0]).toBeCloseTo(13 / 30, 12);
    expect(group(run.subsets, 'SecEvalPlus').passAtK[0]).toBeCloseTo(13 / 30, 12);
    const [lo, hi] = overall.ci[0]!;
    expect(lo).toBeLessThanOrEqual(26 / 60);
    expect(hi).toBeGreaterThanOrEqual(26 / 60);
    // Per-task values are kept too.
    expect(run.tasks.find((t) => t.taskId === T.age)!.passAtK[1]).toBeCloseTo(1 - 21 / 252, 12);
    // Steps are scored only for the vulnerability-aware experiment.
    expect(run.steps).toBeNull();
  });

  it('merges CWE-020 with CWE-20 but never CWE-20 with CWE-200; the authorization type is one group', async () => {
    const file = writeJsonl(path.join(dir, 'cwe.jsonl'), resultLines({ model: 'm1', experiment: 'direct-generation', counts: COUNTS_A }));
    const { runs, groups } = await score([file]);
    expect(groups.cwes.map((g) => g.label)).toEqual(['CWE-20', 'CWE-200', 'CWE-862/CWE-287/CWE-306/CWE-863']);
    const cwes = runs[0]!.cwes;
    const cwe20 = group(cwes, 'CWE-20');
    expect(cwe20.tasks).toBe(3);
    expect(cwe20.passAtK[0]).toBeCloseTo((3 + 0 + 5) / 30, 12);
    expect(group(cwes, 'CWE-200').tasks).toBe(1);
    expect(group(cwes, 'CWE-200').passAtK[0]).toBe(1);
    const auth = group(cwes, 'CWE-862/CWE-287/CWE-306/CWE-863');
    expect(auth.tasks).toBe(2);
    expect(auth.passAtK[0]).toBeCloseTo(8 / 20, 12);
  });

  it('splits vuln-aware-generation by numbered steps, and shows n/a where a task has fewer than k samples', async () => {
    const counts = { ...COUNTS_A, [T.age]: [3, 1] as [number, number] };
    const file = writeJsonl(path.join(dir, 'va.jsonl'), resultLines({ model: 'm1', experiment: 'vuln-aware-generation', counts }));
    const run = (await score([file])).runs[0]!;
    expect(run.steps).not.toBeNull();
    // With steps: age (1/3), profile (1), del (0.1).
    expect(run.steps!.with.tasks).toBe(3);
    expect(run.steps!.with.passAtK[0]).toBeCloseTo((1 / 3 + 1 + 0.1) / 3, 12);
    expect(run.steps!.with.passAtK[1]).toBeNull();
    expect(run.steps!.with.minSamples).toBe(3);
    // Without steps: port (0), quantity (0.5), read (0.7); all have 10 samples.
    expect(run.steps!.without.passAtK[0]).toBeCloseTo(1.2 / 3, 12);
    expect(run.steps!.without.passAtK[1]).toBeCloseTo(mean([0, def(10, 5, 5), 1]), 12);
    // The overall mean needs every task: age has 3 samples, so pass@5 is n/a, pass@1 is not.
    const overall = run.subsets[0]!;
    expect(overall.passAtK[0]).not.toBeNull();
    expect(overall.passAtK[1]).toBeNull();
    expect(group(run.subsets, 'SecEvalPlus').passAtK[1]).not.toBeNull();
  });

  it('groups by model and experiment, falls back to the file name and "unknown", and merges split files', async () => {
    const mixed = writeJsonl(path.join(dir, 'mixed.jsonl'), [
      ...resultLines({ model: 'm2', experiment: 'direct-repair', counts: { [T.age]: [2, 1] } }),
      ...resultLines({ model: 'm1', experiment: 'explained-repair', counts: { [T.age]: [2, 2] } }),
      ...resultLines({ model: 'm1', experiment: 'direct-generation', counts: { [T.port]: [2, 0] } }),
    ]);
    const legacy = writeJsonl(path.join(dir, 'legacy-run.jsonl'), resultLines({ counts: { [T.read]: [4, 1] } }));
    // The rest of m1's direct-generation samples for the same task, in another file.
    const more = writeJsonl(
      path.join(dir, 'more.jsonl'),
      resultLines({ model: 'm1', experiment: 'direct-generation', counts: { [T.port]: [4, 4] } }).slice(2),
    );
    const { runs } = await score([mixed, legacy, more]);
    // Models alphabetically (lines come in the order samples finished), experiments in paper order.
    expect(runs.map((r) => `${r.model}|${r.experiment}`)).toEqual([
      'legacy-run|unknown',
      'm1|direct-generation',
      'm1|explained-repair',
      'm2|direct-repair',
    ]);
    const dg = runs[1]!;
    expect(dg.files).toEqual([mixed, more]);
    expect(dg.tasks).toHaveLength(1);
    expect(dg.tasks[0]!.n).toBe(4);
    expect(dg.tasks[0]!.c).toBe(2);
    // A run covering some tasks averages over those, and says so through its task counts.
    expect(dg.subsets[0]!.tasks).toBe(1);
    expect(group(dg.subsets, 'SecEvalPlus').tasks).toBe(0);
    expect(group(dg.subsets, 'SecEvalPlus').passAtK[0]).toBeNull();
  });

  it('marks broken tasks, and leaves them out only with excludeBroken', async () => {
    const file = writeJsonl(path.join(dir, 'broken.jsonl'), resultLines({ model: 'm1', experiment: 'direct-generation', counts: COUNTS_A }));
    const kept = (await score([file], { broken: [T.profile] })).runs[0]!;
    expect(kept.subsets[0]!.tasks).toBe(6);
    expect(kept.subsets[0]!.brokenTasks).toBe(1);
    expect(kept.subsets[0]!.passAtK[0]).toBeCloseTo(26 / 60, 12);
    expect(kept.tasks.find((t) => t.taskId === T.profile)).toMatchObject({ broken: true, counted: true });

    const excluded = (await score([file], { broken: [T.profile], excludeBroken: true })).runs[0]!;
    expect(excluded.subsets[0]!.tasks).toBe(5);
    expect(excluded.subsets[0]!.brokenTasks).toBe(1);
    expect(excluded.subsets[0]!.passAtK[0]).toBeCloseTo(16 / 50, 12);
    expect(group(excluded.cwes, 'CWE-200').tasks).toBe(0);
    expect(group(excluded.cwes, 'CWE-200').passAtK[0]).toBeNull();
    expect(excluded.tasks.find((t) => t.taskId === T.profile)).toMatchObject({ broken: true, counted: false });
  });

  it('gives the same intervals on every run', async () => {
    const file = writeJsonl(path.join(dir, 'det.jsonl'), resultLines({ model: 'm1', experiment: 'direct-generation', counts: COUNTS_A }));
    const a = await score([file]);
    const b = await score([file]);
    expect(a.runs[0]!.subsets.map((g) => g.ci)).toEqual(b.runs[0]!.subsets.map((g) => g.ci));
  });
});

describe('paired comparison of runs', () => {
  it('compares on common tasks with the sign of B - A', async () => {
    const better = Object.fromEntries(Object.entries(COUNTS_A).map(([id, [n, c]]) => [id, [n, Math.min(n, c + 3)] as [number, number]]));
    const file = writeJsonl(path.join(dir, 'pair.jsonl'), [
      ...resultLines({ model: 'm1', experiment: 'direct-generation', counts: COUNTS_A }),
      ...resultLines({ model: 'm1', experiment: 'vuln-aware-generation', counts: better }),
      ...resultLines({ model: 'm2', experiment: 'direct-generation', counts: { [T.age]: [10, 9], [T.port]: [10, 9] } }),
    ]);
    const scores = await score([file]);
    const pairs = defaultPairs(scores.runs);
    expect(pairs.map(([a, b]) => `${a.model}/${a.experiment} -> ${b.model}/${b.experiment}`)).toEqual([
      'm1/direct-generation -> m1/vuln-aware-generation',
      'm1/direct-generation -> m2/direct-generation',
    ]);
    const opts = { resampler: new Resampler(DEFAULT_BOOTSTRAP), permutations: 1000 };
    const [a, b] = pairs[0]!;
    const cmp = compareRuns(a, b, KS, opts);
    expect(cmp.tasks).toBe(6);
    const k1 = cmp.perK[0]!;
    // +3 passes on every task except profile (already 10/10): (3+3+0+3+3+3)/60.
    expect(k1.diff).toBeCloseTo(15 / 60, 12);
    expect(k1.bBetter).toBe(5);
    expect(k1.ties).toBe(1);
    expect(k1.aBetter).toBe(0);
    expect(cmp.perK[3]).toBeNull();
    const back = compareRuns(b, a, KS, opts).perK[0]!;
    expect(back.diff).toBeCloseTo(-k1.diff, 12);
    expect(back.aBetter).toBe(5);
    // Across models only the two tasks m2 ran count.
    const cross = compareRuns(pairs[1]![0], pairs[1]![1], KS, opts);
    expect(cross.tasks).toBe(2);
    expect(cross.perK[0]!.diff).toBeCloseTo((0.9 - 0.3 + 0.9 - 0) / 2, 12);
  });
});
