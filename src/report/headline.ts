import type { Report } from './build.js';
import { count, pct, pValue, signedInterval, signedPct } from './display.js';
import type { PairedColumn } from '../score/bootstrap.js';

/**
 * The overall pass@k of every run as an aligned plain-text table, for the end of `run`:
 * what a user wants to see first, without opening the report files.
 */
export function headlineText(report: Report): string {
  const overall = report.scores.groups.subsets[0]!.label;
  // With --split the question is "wrong or insecure?": func@1, func-sec@1 and the vulnerable rate answer it.
  const split = new Map((report.split?.runs ?? []).map((r) => [`${r.model}\u0000${r.experiment}`, r.subsets[0]]));
  const k0 = report.ks[0]!;
  const splitCols = split.size ? [`func@${k0}`, `func-sec@${k0}`, 'vulnerable'] : [];
  const header = ['Model', 'Experiment', 'Tasks', ...report.ks.map((k) => `pass@${k}`), ...splitCols];
  const rows = report.scores.runs.map((r) => {
    const g = r.subsets[0]!;
    const s = split.get(`${r.model}\u0000${r.experiment}`);
    const extra = split.size ? (s ? [pct(s.func.passAtK[0] ?? null), pct(s.funcSec.passAtK[0] ?? null), pct(s.vulnerableRate)] : ['n/a', 'n/a', 'n/a']) : [];
    return [r.model, r.experiment, String(g.tasks), ...g.passAtK.map((v) => pct(v)), ...extra];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  const broken = report.validationFile
    ? `${count(report.broken.length, 'broken task')} ${report.excludeBroken ? 'excluded' : 'included'}`
    : 'broken tasks not marked';
  return [
    `${overall} pass@k (%), ${broken}:`,
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    ...roundLines(report),
    ...comparisonLines(report),
  ].join('\n') + '\n';
}

/** "1.1 → 92.8 (+91.7 [+85.0, +97.2], p <0.001)": both ends, the paired difference, its interval and p. */
function change(c: PairedColumn): string {
  return `${pct(c.meanA)} → ${pct(c.meanB)} (${signedPct(c.diff)} ${signedInterval(c.ci)}, p ${pValue(c.pValue)})`;
}

/** Feedback experiments exist to show the change from round 0: say it, per run. */
function roundLines(report: Report): string[] {
  const runs = report.rounds ?? [];
  const lines = runs.flatMap((r) => {
    const c = r.compare.subsets[0]?.perK[0];
    return c ? [`  ${r.model} / ${r.experiment}: round 0 → round ${r.maxRound} pass@${report.ks[0]} ${change(c)}`] : [];
  });
  return lines.length ? ['', 'Repair with feedback, round 0 → final (paired over tasks):', ...lines] : [];
}

/** Several models or experiments: which is better, by how much, and how sure. */
function comparisonLines(report: Report): string[] {
  const k = report.ks[0]!;
  const lines = report.comparisons.flatMap((c) => {
    const col = c.perK[0];
    if (!col) return [];
    const verdict = col.diff > 0 ? 'higher' : col.diff < 0 ? 'lower' : 'equal';
    return [`  ${c.b.model} / ${c.b.experiment} vs ${c.a.model} / ${c.a.experiment}: ${verdict}, ${change(col)}`];
  });
  return lines.length ? ['', `Paired comparisons, pass@${k} (${report.comparisons[0]?.tasks ?? 0} tasks; b vs a, b − a):`, ...lines] : [];
}
