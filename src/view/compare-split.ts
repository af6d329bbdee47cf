import { pairedCompare, taskMatrix, type PairedColumn, type Resampler, type RunScores, type RunSplit } from './sources.js';

/**
 * What `--split` adds to a comparison of two result sets: func-sec@k compared pair-wise over
 * the tasks both can split (same paired bootstrap and sign-flip test as pass@k), the
 * vulnerable rate of each, and a per-CWE table of the differences.
 */
export interface SplitComparison {
  tasks: number;
  funcSec: (PairedColumn | null)[];
  vulnerable: { a: number | null; b: number | null; diff: number | null };
}

export function compareSplit(a: RunSplit, b: RunSplit, ks: readonly number[], resampler: Resampler, permutations: number): SplitComparison {
  const bTasks = new Map(b.tasks.filter((t) => t.canSplit && t.counted).map((t) => [t.taskId, t]));
  const pairs = a.tasks.filter((t) => t.canSplit && t.counted && bTasks.has(t.taskId)).map((t) => [t, bTasks.get(t.taskId)!] as const);
  const funcSec: (PairedColumn | null)[] = ks.map(() => null);
  const cols = ks.flatMap((_, j) => (pairs.length && pairs.every(([x, y]) => x.funcSecAtK[j] != null && y.funcSecAtK[j] != null) ? [j] : []));
  if (cols.length) {
    const ma = taskMatrix(pairs.map(([x]) => cols.map((j) => x.funcSecAtK[j]!)), cols.length);
    const mb = taskMatrix(pairs.map(([, y]) => cols.map((j) => y.funcSecAtK[j]!)), cols.length);
    const res = pairedCompare(ma, mb, resampler, permutations);
    if (res) cols.forEach((j, c) => (funcSec[j] = res[c] ?? null));
  }
  const rate = (s: RunSplit) => s.subsets[0]?.vulnerableRate ?? null;
  const va = rate(a);
  const vb = rate(b);
  return { tasks: pairs.length, funcSec, vulnerable: { a: va, b: vb, diff: va !== null && vb !== null ? vb - va : null } };
}

/** One CWE group of both result sets: pass@1 (and with --split func-sec@1 and the vulnerable rate) of each, and B - A. */
export function perCweDifferences(a: RunScores, b: RunScores, sa: RunSplit | null, sb: RunSplit | null) {
  const groups = [...new Set([...a.cwes, ...b.cwes].filter((g) => g.tasks > 0).map((g) => g.group))];
  const diff = (x: number | null | undefined, y: number | null | undefined) => (x == null || y == null ? null : y - x);
  return groups.map((group) => {
    const ga = a.cwes.find((g) => g.group === group);
    const gb = b.cwes.find((g) => g.group === group);
    const xa = sa?.cwes.find((g) => g.group === group) ?? null;
    const xb = sb?.cwes.find((g) => g.group === group) ?? null;
    const pass = { a: ga?.passAtK[0] ?? null, b: gb?.passAtK[0] ?? null };
    const fs = { a: xa?.tasks ? (xa.funcSec.passAtK[0] ?? null) : null, b: xb?.tasks ? (xb.funcSec.passAtK[0] ?? null) : null };
    const vu = { a: xa?.vulnerableRate ?? null, b: xb?.vulnerableRate ?? null };
    return {
      group,
      tasks_a: ga?.tasks ?? 0,
      tasks_b: gb?.tasks ?? 0,
      pass: { ...pass, diff: diff(pass.a, pass.b) },
      func_sec: { ...fs, diff: diff(fs.a, fs.b) },
      vulnerable: { ...vu, diff: diff(vu.a, vu.b) },
    };
  });
}
