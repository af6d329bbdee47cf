import { hasNumberedSteps } from './steps.js';
import type { Dataset, Task } from './types.js';

/**
 * Per-label counts of the assert statements in the tests (functional / security / broken).
 * Filled in by the assert-labelling work; `datasetStats` leaves it null until then.
 */
export interface AssertLabelCounts {
  functional: number;
  security: number;
  broken: number;
}

/** Figures for one subset, or for the whole dataset (`subset: "all"`). */
export interface SubsetStats {
  subset: string;
  records: number;
  /** Distinct `cweGroup`s; null for HumanEval. */
  cweTypes: number | null;
  cweGroups: string[] | null;
  /** Whitespace-separated words of the task's Problem. */
  meanProblemWords: number;
  /** Non-blank lines of the reference programs; insecure is null for HumanEval. */
  meanSecureCodeLines: number;
  meanInsecureCodeLines: number | null;
  /** `assert` statements in the Test field (commented-out ones excluded). */
  meanTestAsserts: number;
  /** Vulnerability-aware problems that lay out numbered steps; null when there are none to look at. */
  numberedStepProblems: number | null;
  assertLabels?: AssertLabelCounts | null;
}

export interface DatasetStats {
  kind: Dataset['kind'];
  source: string;
  subsets: SubsetStats[];
  overall: SubsetStats;
}

export function wordCount(text: string): number {
  const t = text.trim();
  return t ? t.split(/\s+/).length : 0;
}

export function codeLines(code: string): number {
  return code.split(/\r?\n/).filter((l) => l.trim() !== '').length;
}

/** Statements that start with `assert`; multi-line asserts count once. */
export function countAsserts(test: string): number {
  return test.split(/\r?\n/).filter((l) => /^\s*assert\b/.test(l)).length;
}

function mean(values: number[]): number {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0;
}

function statsOf(subset: string, tasks: Task[]): SubsetStats {
  const groups = [...new Set(tasks.map((t) => t.cweGroup).filter((g): g is string => g !== null))].sort();
  const insecure = tasks.map((t) => t.insecureCode).filter((c): c is string => c !== null);
  const aware = tasks.map((t) => t.vulnAwareProblem).filter((p): p is string => p !== null);
  const hasCwes = tasks.some((t) => t.cweGroup !== null);
  return {
    subset,
    records: tasks.length,
    cweTypes: hasCwes ? groups.length : null,
    cweGroups: hasCwes ? groups : null,
    meanProblemWords: mean(tasks.map((t) => wordCount(t.problem))),
    meanSecureCodeLines: mean(tasks.map((t) => codeLines(t.secureCode))),
    meanInsecureCodeLines: insecure.length ? mean(insecure.map(codeLines)) : null,
    meanTestAsserts: mean(tasks.map((t) => countAsserts(t.test))),
    numberedStepProblems: aware.length ? aware.filter(hasNumberedSteps).length : null,
    assertLabels: null,
  };
}

export function datasetStats(dataset: Dataset): DatasetStats {
  const order: string[] = [];
  const bySubset = new Map<string, Task[]>();
  for (const t of dataset.tasks) {
    if (!bySubset.has(t.subset)) {
      bySubset.set(t.subset, []);
      order.push(t.subset);
    }
    bySubset.get(t.subset)!.push(t);
  }
  return {
    kind: dataset.kind,
    source: dataset.source,
    subsets: order.map((s) => statsOf(s, bySubset.get(s)!)),
    overall: statsOf('all', dataset.tasks),
  };
}

/** A plain-text table: one column per subset plus "all", n/a where a figure does not apply. */
export function formatStatsTable(stats: DatasetStats): string {
  const cols = stats.subsets.length > 1 ? [...stats.subsets, stats.overall] : stats.subsets;
  const num = (v: number | null, digits = 1) => (v === null ? 'n/a' : Number.isInteger(v) ? String(v) : v.toFixed(digits));
  const rows: [string, (s: SubsetStats) => string][] = [
    ['records', (s) => String(s.records)],
    ['CWE types', (s) => num(s.cweTypes)],
    ['mean problem length (words)', (s) => num(s.meanProblemWords)],
    ['mean secure code lines', (s) => num(s.meanSecureCodeLines)],
    ['mean insecure code lines', (s) => num(s.meanInsecureCodeLines)],
    ['mean test asserts', (s) => num(s.meanTestAsserts)],
    ['problems with numbered steps', (s) => (s.numberedStepProblems === null ? 'n/a' : `${s.numberedStepProblems}/${s.records}`)],
  ];
  if (cols.some((s) => s.assertLabels)) {
    const label = (k: keyof AssertLabelCounts) => (s: SubsetStats) => (s.assertLabels ? String(s.assertLabels[k]) : 'n/a');
    rows.push(['functional asserts', label('functional')], ['security asserts', label('security')], ['broken asserts', label('broken')]);
  }
  const header = ['', ...cols.map((c) => c.subset)];
  const body = rows.map(([name, f]) => [name, ...cols.map(f)]);
  const widths = header.map((_, i) => Math.max(...[header, ...body].map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  return [`${stats.kind} dataset: ${stats.source}`, line(header), ...body.map(line)].join('\n');
}
