import { canSplit, type TaskLabels } from '../score/labels.js';
import { hasNumberedSteps } from '../text/steps.js';
import type { Dataset, Task } from '../core/task.js';

/**
 * Per-label counts of the assert statements in the tests, from a validation file made with
 * `dataset validate --labels`; null without one.
 */
export interface AssertLabelCounts {
  functional: number;
  security: number;
  broken: number;
  // Optional so that counts made before these figures existed stay valid.
  unlabelled?: number;
  /** Tasks of the subset that the validation file labels. */
  labelledTasks?: number;
  /** Labelled tasks with a functional and a security check. */
  splittableTasks?: number;
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
  /** Non-blank lines of the reference programs; null where the benchmark has none (HumanEval: insecure; SALLM: secure). */
  meanSecureCodeLines: number | null;
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
  /** Tasks per CWE group, in the dataset's order of first appearance. */
  perCwe: Record<string, number>;
  /** Tasks per upstream origin (SALLM's source), when the benchmark names one. */
  perOrigin: Record<string, number>;
  /** Upstream records that cannot be run (no test file). */
  untestable: { id: string; reason: string }[];
}

export function wordCount(text: string): number {
  const t = text.trim();
  return t ? t.split(/\s+/).length : 0;
}

export function codeLines(code: string): number {
  return code.split(/\r?\n/).filter((l) => l.trim() !== '').length;
}

/** Statements that start with `assert` or a unittest `self.assert...(` call; multi-line asserts count once. */
export function countAsserts(test: string): number {
  return test.split(/\r?\n/).filter((l) => /^\s*(?:assert\b|self\.assert\w*\s*\()/.test(l)).length;
}

function mean(values: number[]): number {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0;
}

function labelCounts(tasks: Task[], labels: ReadonlyMap<string, TaskLabels>): AssertLabelCounts {
  const c = { functional: 0, security: 0, broken: 0, unlabelled: 0, labelledTasks: 0, splittableTasks: 0 };
  for (const t of tasks) {
    const lab = labels.get(t.id);
    if (!lab) continue;
    c.labelledTasks++;
    if (canSplit(lab)) c.splittableTasks++;
    c.functional += lab.counts.functional;
    c.security += lab.counts.security;
    c.broken += lab.counts.broken;
    c.unlabelled += lab.counts.unlabelled;
  }
  return c;
}

function statsOf(subset: string, tasks: Task[], labels: ReadonlyMap<string, TaskLabels> | null): SubsetStats {
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
    meanSecureCodeLines: tasks.some((t) => t.secureCode) ? mean(tasks.filter((t) => t.secureCode).map((t) => codeLines(t.secureCode))) : null,
    meanInsecureCodeLines: insecure.length ? mean(insecure.map(codeLines)) : null,
    meanTestAsserts: mean(tasks.map((t) => countAsserts(t.test))),
    numberedStepProblems: aware.length ? aware.filter(hasNumberedSteps).length : null,
    assertLabels: labels ? labelCounts(tasks, labels) : null,
  };
}

/** `labels`: assert labels by task ID, from a validation file (see `loadValidation`). */
export function datasetStats(dataset: Dataset, labels: ReadonlyMap<string, TaskLabels> | null = null): DatasetStats {
  const order: string[] = [];
  const bySubset = new Map<string, Task[]>();
  for (const t of dataset.tasks) {
    if (!bySubset.has(t.subset)) {
      bySubset.set(t.subset, []);
      order.push(t.subset);
    }
    bySubset.get(t.subset)!.push(t);
  }
  const perCwe: Record<string, number> = {};
  const perOrigin: Record<string, number> = {};
  for (const t of dataset.tasks) {
    if (t.cweGroup) perCwe[t.cweGroup] = (perCwe[t.cweGroup] ?? 0) + 1;
    if (t.origin) perOrigin[t.origin] = (perOrigin[t.origin] ?? 0) + 1;
  }
  return {
    kind: dataset.kind,
    source: dataset.source,
    subsets: order.map((s) => statsOf(s, bySubset.get(s)!, labels)),
    overall: statsOf('all', dataset.tasks, labels),
    perCwe,
    perOrigin,
    untestable: dataset.untestable ?? [],
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
    const label = (k: keyof AssertLabelCounts) => (s: SubsetStats) => String(s.assertLabels?.[k] ?? 'n/a');
    rows.push(
      ['labelled tasks', label('labelledTasks')],
      ['functional asserts', label('functional')],
      ['security asserts', label('security')],
      ['broken asserts', label('broken')],
      ['unlabelled asserts', label('unlabelled')],
      ['tasks with functional + security', label('splittableTasks')],
    );
  }
  const header = ['', ...cols.map((c) => c.subset)];
  const body = rows.map(([name, f]) => [name, ...cols.map(f)]);
  const widths = header.map((_, i) => Math.max(...[header, ...body].map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  const lines = [`${stats.kind} dataset: ${stats.source}`, line(header), ...body.map(line)];
  const counts = (rec: Record<string, number>) => Object.entries(rec).map(([k, n]) => `${k} ${n}`).join(', ');
  if (Object.keys(stats.perOrigin).length) lines.push('', `tasks per source: ${counts(stats.perOrigin)}`);
  if (stats.untestable.length) {
    lines.push('', `untestable records (${stats.untestable.length}, not counted above):`);
    for (const u of stats.untestable) lines.push(`  ${u.id}: ${u.reason}`);
  }
  return lines.join('\n');
}
