import type { Report } from './build.js';
import type { GroupScore } from '../score/scores.js';

const HEADER = [
  'model',
  'experiment',
  'group_type',
  'group',
  'tasks',
  'broken_tasks',
  'min_samples',
  'k',
  'pass_at_k',
  'ci_low',
  'ci_high',
  'broken_excluded',
];

function field(v: string | number | boolean | null): string {
  if (v === null) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * One row per (run, group, k): the tidy shape spreadsheets and data frames pivot easily.
 * Not-available values are empty cells.
 */
export function renderCsv(report: Report): string {
  const lines = [HEADER.join(',')];
  const emit = (model: string, experiment: string, type: string, g: GroupScore) => {
    report.ks.forEach((k, j) => {
      const ci = g.ci[j] ?? null;
      lines.push(
        [
          model,
          experiment,
          type,
          g.group,
          g.tasks,
          g.brokenTasks,
          g.minSamples,
          k,
          g.passAtK[j] ?? null,
          ci ? ci[0] : null,
          ci ? ci[1] : null,
          report.excludeBroken,
        ]
          .map(field)
          .join(','),
      );
    });
  };
  for (const r of report.scores.runs) {
    for (const g of r.subsets) emit(r.model, r.experiment, 'subset', g);
    for (const g of r.cwes) emit(r.model, r.experiment, 'cwe', g);
    if (r.steps) {
      emit(r.model, r.experiment, 'steps', r.steps.with);
      emit(r.model, r.experiment, 'steps', r.steps.without);
    }
  }
  return lines.join('\n') + '\n';
}
