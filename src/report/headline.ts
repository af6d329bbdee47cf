import type { Report } from './build.js';
import { count, pct } from './format.js';

/**
 * The overall pass@k of every run as an aligned plain-text table, for the end of `run`:
 * what a user wants to see first, without opening the report files.
 */
export function headlineText(report: Report): string {
  const overall = report.scores.groups.subsets[0]!.label;
  const header = ['Model', 'Experiment', 'Tasks', ...report.ks.map((k) => `pass@${k}`)];
  const rows = report.scores.runs.map((r) => {
    const g = r.subsets[0]!;
    return [r.model, r.experiment, String(g.tasks), ...g.passAtK.map((v) => pct(v))];
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
  ].join('\n') + '\n';
}
