import { terminalSafe } from '../text/terminal.js';
import type { Report } from './build.js';
import { roundsCsvRows } from './rounds.js';
import type { SplitGroup } from '../score/functional.js';
import type { GroupScore } from '../score/scores.js';
import type { CaseGroup } from '../score/cases.js';
import { STATIC_ANALYSIS_CSV_HEADER, staticAnalysisCsvFields } from './static-analysis.js';
import { environmentCsvFields, environmentCsvHeader } from './environment.js';

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

/** Added only when the report splits functional from security failures. */
const SPLIT_HEADER = [
  'split_tasks',
  'func_at_k',
  'func_ci_low',
  'func_ci_high',
  'func_sec_at_k',
  'func_sec_ci_low',
  'func_sec_ci_high',
  'functional_samples',
  'vulnerable_samples',
  'vulnerable_rate',
  'vulnerable_ci_low',
  'vulnerable_ci_high',
];

function splitFields(s: SplitGroup | undefined, j: number): (string | number | null)[] {
  if (!s) return SPLIT_HEADER.map(() => null);
  const f = s.func.ci[j] ?? null;
  const fs = s.funcSec.ci[j] ?? null;
  return [
    s.tasks,
    s.func.passAtK[j] ?? null,
    f ? f[0] : null,
    f ? f[1] : null,
    s.funcSec.passAtK[j] ?? null,
    fs ? fs[0] : null,
    fs ? fs[1] : null,
    s.functionalSamples,
    s.vulnerableSamples,
    s.vulnerableRate,
    s.vulnerableCi ? s.vulnerableCi[0] : null,
    s.vulnerableCi ? s.vulnerableCi[1] : null,
  ];
}

/** Added only when some run has test-file tasks (SALLM, CWEval): their four test-case scores. */
const CASE_METRICS = [
  ['func', 'case_func'],
  ['funcSec', 'case_func_sec'],
  ['secure', 'case_secure'],
  ['vulnerable', 'case_vulnerable'],
] as const;
const CASE_HEADER = CASE_METRICS.flatMap(([, name]) => [`${name}_at_k`, `${name}_ci_low`, `${name}_ci_high`]);

function caseFields(c: CaseGroup | undefined, j: number): (number | null)[] {
  if (!c) return CASE_HEADER.map(() => null);
  return CASE_METRICS.flatMap(([key]) => {
    const ci = c[key].ci[j] ?? null;
    return [c[key].passAtK[j] ?? null, ci ? ci[0] : null, ci ? ci[1] : null];
  });
}

/**
 * Names in a CSV cell come from data files: control characters are made visible, and text a
 * spreadsheet would run as a formula (leading = + - @, not a number) gets a leading quote.
 */
function field(v: string | number | boolean | null): string {
  if (v === null) return '';
  let s = typeof v === 'string' ? terminalSafe(v) : String(v);
  if (typeof v === 'string' && /^[=+\-@]/.test(s) && !/^[-+]?\d/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * One row per (run, group, k): the tidy shape spreadsheets and data frames pivot easily.
 * Not-available values are empty cells.
 */
export function renderCsv(report: Report): string {
  const withSplit = report.split !== null && report.split.runs.length > 0;
  const sa = report.staticAnalysis;
  const envHeader = environmentCsvHeader(report);
  // Feedback runs add their per-round scores as rows with a round number; the other rows (the
  // final scores) leave it empty. The column comes last so existing columns keep their place.
  const roundRows = roundsCsvRows(report);
  const withRounds = roundRows.length > 0;
  const withCases = report.caseScores !== null;
  const lines = [
    [...HEADER, ...(withSplit ? SPLIT_HEADER : []), ...(sa ? STATIC_ANALYSIS_CSV_HEADER : []), ...envHeader, ...(withCases ? CASE_HEADER : []), ...(withRounds ? ['round'] : [])].join(','),
  ];
  const splits = new Map(report.split?.runs.map((s) => [`${s.model}\u0000${s.experiment}`, s]));
  const cases = new Map(report.caseScores?.map((c) => [`${c.model}\u0000${c.experiment}`, c]));
  const emit = (model: string, experiment: string, type: string, g: GroupScore, s?: SplitGroup, round?: number, c?: CaseGroup) => {
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
          ...(withSplit ? splitFields(s, j) : []),
          ...(sa ? (round === undefined ? staticAnalysisCsvFields(sa, model, experiment, type, g.group) : STATIC_ANALYSIS_CSV_HEADER.map(() => null)) : []),
          ...(envHeader.length ? environmentCsvFields(report, model, experiment) : []),
          ...(withCases ? caseFields(c, j) : []),
          ...(withRounds ? [round ?? null] : []),
        ]
          .map(field)
          .join(','),
      );
    });
  };
  for (const r of report.scores.runs) {
    const s = splits.get(`${r.model}\u0000${r.experiment}`);
    const c = cases.get(`${r.model}\u0000${r.experiment}`);
    r.subsets.forEach((g, i) => emit(r.model, r.experiment, 'subset', g, s?.subsets[i], undefined, c?.subsets[i]));
    r.cwes.forEach((g, i) => emit(r.model, r.experiment, 'cwe', g, s?.cwes[i], undefined, c?.cwes[i]));
    if (r.steps) {
      emit(r.model, r.experiment, 'steps', r.steps.with);
      emit(r.model, r.experiment, 'steps', r.steps.without);
    }
  }
  for (const r of roundRows) emit(r.model, r.experiment, r.type, r.g, undefined, r.round);
  return lines.join('\n') + '\n';
}
