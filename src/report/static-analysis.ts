/**
 * The "Static analysis vs tests" report section, from a StaticAnalysisSummary: tables as plain
 * data for Markdown and HTML (each format renders them with its own table function), extra CSV
 * columns, and a JSON object.
 */
import type {
  GroupAgreement,
  ReferenceRow,
  RunAgreement,
  StaticAnalysisSummary,
} from '../score/static-agreement.js';
import { pct } from './display.js';
import type { Cell, Column, Table } from './table-model.js';

export const STATIC_ANALYSIS_ID = 'static-analysis';
export const STATIC_ANALYSIS_TITLE = 'Static analysis vs tests';

const t = (s: string, tone?: Cell['tone']): Cell => (tone ? { text: s, tone } : { text: s });
const num = (n: number): Cell => t(String(n));
const share = (v: number | null, of?: string): Cell =>
  v === null ? { text: 'n/a', tone: 'na', note: 'nothing to count' } : of ? { text: pct(v), note: of } : t(pct(v));
const kappaCell = (g: GroupAgreement): Cell =>
  g.kappa.value === null ? { text: 'n/a', tone: 'na', note: g.kappa.note ?? '' } : t(g.kappa.value.toFixed(2));

function thresholdText(s: StaticAnalysisSummary): string {
  const { minSeverity, minConfidence } = s.threshold;
  return minSeverity === 'LOW' && minConfidence === 'LOW'
    ? 'any finding'
    : `a finding of severity ≥ ${minSeverity} and confidence ≥ ${minConfidence}`;
}

/** One line naming the analyzer, its rule table and what "flagged" means. */
export function staticAnalysisIntro(s: StaticAnalysisSummary): string {
  return (
    `${s.analyzer} ${s.analyzerVersion} (rule→CWE table ${s.ruleTable}), from ${s.file}. ` +
    `A program is flagged when the analyzer reports ${thresholdText(s)}; the analyzer reads the code and never runs it.`
  );
}

function referenceTable(id: string, title: string, rows: ReferenceRow[], description?: string): Table {
  const columns: Column[] = [
    { label: 'Group' },
    { label: 'Tasks', numeric: true },
    { group: 'Insecure Code', label: 'flagged %', numeric: true },
    { group: 'Insecure Code', label: 'with its CWE %', numeric: true },
    { group: 'Secure Code', label: 'flagged %', numeric: true },
    { group: 'Secure Code', label: 'with its CWE %', numeric: true },
  ];
  return {
    id,
    title,
    ...(description ? { description } : {}),
    columns,
    rows: rows.map((r) => [
      t(r.group),
      num(r.tasks),
      share(r.recall, `${r.insecureFlagged} of ${r.insecureAnalysed}`),
      share(r.recallMatching, `${r.insecureFlaggedMatching} of ${r.insecureAnalysed}`),
      share(r.falseAlarmRate, `${r.secureFlagged} of ${r.secureAnalysed}`),
      share(r.falseAlarmMatchingRate, `${r.secureFlaggedMatching} of ${r.secureAnalysed}`),
    ]),
    notes: [],
  };
}

function basisLabels(basis: RunAgreement['basis']): { pos: string; neg: string } {
  return basis === 'split' ? { pos: 'vulnerable', neg: 'secure' } : { pos: 'failed', neg: 'passed' };
}

function agreementColumns(first: Column[]): Column[] {
  return [
    ...first,
    { label: 'Samples', numeric: true },
    { group: 'flagged', label: 'and bad', numeric: true },
    { group: 'flagged', label: 'and good', numeric: true },
    { group: 'clean', label: 'and bad', numeric: true },
    { group: 'clean', label: 'and good', numeric: true },
    { label: 'Agreement %', numeric: true },
    { label: 'Cohen’s κ', numeric: true },
    { label: 'Bad flagged %', numeric: true },
    { label: 'Good flagged %', numeric: true },
  ];
}

function agreementCells(g: GroupAgreement): Cell[] {
  const c = g.counts;
  return [
    num(g.n),
    num(c.flaggedPositive),
    num(c.flaggedNegative),
    num(c.cleanPositive),
    num(c.cleanNegative),
    share(g.accuracy),
    kappaCell(g),
    share(g.sensitivity),
    share(g.falseAlarmRate),
  ];
}

function excludedText(r: RunAgreement): string {
  const e = r.excluded;
  const parts = [
    e.wrong && `${e.wrong} not functional`,
    e.unsplittable && `${e.unsplittable} on tasks that cannot split`,
    e.unreadable && `${e.unreadable} unreadable by the analyzer`,
    e.empty && `${e.empty} blank`,
    e.notAnalysed && `${e.notAnalysed} not analysed`,
    e.programChanged && `${e.programChanged} analysed from another program text`,
  ].filter(Boolean);
  return parts.length ? parts.join(', ') : 'none';
}

const BASIS_NOTE =
  '“Bad” is the execution side’s bad outcome: vulnerable (functional but failing a security check) where the run was split into functional and security failures (basis “split”: only functional samples count), else failed (basis “pass/fail”: did not pass the security-aware tests). κ is n/a when both judges gave one and the same answer on every sample.';

/** Every table of the section, in order. */
export function staticAnalysisTables(s: StaticAnalysisSummary): Table[] {
  const out: Table[] = [];
  if (s.references) {
    out.push(
      referenceTable(
        'static-analysis-references',
        'The analyzer on the dataset’s references',
        s.references.subsets,
        'Share of each task’s Insecure Code the analyzer flags (its recall on known-vulnerable code) and of its Secure Code (false alarms on code the tests call secure); “with its CWE” counts only findings whose CWE is the task’s own.' +
          (s.references.unreadable ? ` ${s.references.unreadable} references the analyzer could not read are left out.` : ''),
      ),
    );
    out.push(referenceTable('static-analysis-references-cwe', 'The analyzer on the references, per CWE', s.references.cwes));
  }
  if (s.runs.length) {
    const rows = s.runs.map((r) => {
      const overall = r.subsets[0]!;
      return [t(r.model), t(r.experiment), t(r.basis === 'split' ? 'split' : 'pass/fail'), ...agreementCells(overall), t(excludedText(r))];
    });
    out.push({
      id: 'static-analysis-agreement',
      title: 'Analyzer vs execution, per run',
      description:
        'Each sample judged twice: clean or flagged by the analyzer, good or bad by the tests. Agreement is the share of samples where both say the same; Cohen’s κ corrects it for chance (1: perfect, 0: no better than chance).',
      columns: [...agreementColumns([{ label: 'Model' }, { label: 'Experiment' }, { label: 'Basis' }]), { label: 'Left out' }],
      rows,
      notes: [BASIS_NOTE, ...(s.unmatchedAnalyses ? [`${s.unmatchedAnalyses} analysed samples match no result line of this report.`] : [])],
    });
    for (const r of s.runs) {
      const { pos, neg } = basisLabels(r.basis);
      const groups = [...r.subsets.slice(1), ...r.cwes].filter((g) => g.tasks > 0);
      if (!groups.length) continue;
      out.push({
        id: `static-analysis-cwe-${slug(r.model)}-${slug(r.experiment)}`,
        // Model names come from results files: keep a title on one line whatever they hold.
        title: `${r.model} / ${r.experiment}: analyzer vs execution per subset and CWE`.replace(/\s+/g, ' '),
        description: `Bad = ${pos}, good = ${neg}.`,
        columns: agreementColumns([{ label: 'Group' }]),
        rows: groups.map((g) => [t(g.group), ...agreementCells(g)]),
        notes: [],
      });
    }
  }
  return out;
}

function slug(s: string): string {
  return s.replace(/[^A-Za-z0-9_-]+/g, '-').slice(0, 60) || 'x';
}

/**
 * The section as text: a heading, the intro line, then each table through the format's own
 * table renderer (Markdown and HTML pass theirs).
 */
export function staticAnalysisSection(s: StaticAnalysisSummary, renderTable: (t: Table, level: number) => string, heading: (text: string) => string, paragraph: (text: string) => string): string {
  return [heading(STATIC_ANALYSIS_TITLE), paragraph(staticAnalysisIntro(s)), ...staticAnalysisTables(s).map((tb) => renderTable(tb, 3))].join('\n');
}

/** Extra CSV columns; empty cells where a row has no such figure. */
export const STATIC_ANALYSIS_CSV_HEADER = [
  'sa_analyzer',
  'sa_basis',
  'sa_samples',
  'sa_flagged_bad',
  'sa_flagged_good',
  'sa_clean_bad',
  'sa_clean_good',
  'sa_agreement',
  'sa_kappa',
  'sa_ref_insecure',
  'sa_ref_insecure_flagged',
  'sa_ref_insecure_flagged_rate',
  'sa_ref_insecure_flagged_cwe_rate',
  'sa_ref_secure',
  'sa_ref_secure_flagged',
  'sa_ref_secure_flagged_rate',
];

/**
 * The extra CSV fields of one (run, group) row: that run's agreement on the group, and the
 * dataset's reference figures for the group (the same on every run).
 */
export function staticAnalysisCsvFields(
  s: StaticAnalysisSummary,
  model: string,
  experiment: string,
  groupType: string,
  group: string,
): (string | number | null)[] {
  const run = s.runs.find((r) => r.model === model && r.experiment === experiment);
  const pick = <G extends { group: string }>(subsets: G[] | undefined, cwes: G[] | undefined): G | undefined =>
    groupType === 'subset' ? subsets?.find((g) => g.group === group) : groupType === 'cwe' ? cwes?.find((g) => g.group === group) : undefined;
  const a = pick(run?.subsets, run?.cwes);
  const ref = pick(s.references?.subsets, s.references?.cwes);
  return [
    `${s.analyzer} ${s.analyzerVersion}`,
    a && run ? run.basis : null,
    a ? a.n : null,
    a ? a.counts.flaggedPositive : null,
    a ? a.counts.flaggedNegative : null,
    a ? a.counts.cleanPositive : null,
    a ? a.counts.cleanNegative : null,
    a ? a.accuracy : null,
    a ? a.kappa.value : null,
    ref ? ref.insecureAnalysed : null,
    ref ? ref.insecureFlagged : null,
    ref ? ref.recall : null,
    ref ? ref.recallMatching : null,
    ref ? ref.secureAnalysed : null,
    ref ? ref.secureFlagged : null,
    ref ? ref.falseAlarmRate : null,
  ];
}

export interface JsonAgreement {
  group: string;
  tasks: number;
  n: number;
  flagged_bad: number;
  flagged_good: number;
  clean_bad: number;
  clean_good: number;
  agreement: number | null;
  kappa: number | null;
  kappa_note: string | null;
  flagged_rate: number | null;
  bad_rate: number | null;
  bad_flagged_rate: number | null;
  good_flagged_rate: number | null;
}

export interface JsonReferenceRow {
  group: string;
  tasks: number;
  insecure: number;
  insecure_flagged: number;
  insecure_flagged_cwe: number;
  secure: number;
  secure_flagged: number;
  secure_flagged_cwe: number;
  insecure_flagged_rate: number | null;
  insecure_flagged_cwe_rate: number | null;
  secure_flagged_rate: number | null;
  secure_flagged_cwe_rate: number | null;
}

export interface JsonStaticAnalysis {
  file: string;
  analyzer: string;
  analyzer_version: string;
  rule_table: string;
  threshold: { min_severity: string; min_confidence: string };
  references: { subsets: JsonReferenceRow[]; cwes: JsonReferenceRow[]; unreadable: number } | null;
  runs: {
    model: string;
    experiment: string;
    /** "split": bad = vulnerable, good = secure; "pass-fail": bad = failed, good = passed. */
    basis: string;
    samples: number;
    excluded: Record<string, number>;
    subsets: JsonAgreement[];
    cwes: JsonAgreement[];
  }[];
  unmatched_analyses: number;
}

function jsonAgreement(g: GroupAgreement): JsonAgreement {
  return {
    group: g.group,
    tasks: g.tasks,
    n: g.n,
    flagged_bad: g.counts.flaggedPositive,
    flagged_good: g.counts.flaggedNegative,
    clean_bad: g.counts.cleanPositive,
    clean_good: g.counts.cleanNegative,
    agreement: g.accuracy,
    kappa: g.kappa.value,
    kappa_note: g.kappa.note,
    flagged_rate: g.flaggedRate,
    bad_rate: g.positiveRate,
    bad_flagged_rate: g.sensitivity,
    good_flagged_rate: g.falseAlarmRate,
  };
}

function jsonReference(r: ReferenceRow): JsonReferenceRow {
  return {
    group: r.group,
    tasks: r.tasks,
    insecure: r.insecureAnalysed,
    insecure_flagged: r.insecureFlagged,
    insecure_flagged_cwe: r.insecureFlaggedMatching,
    secure: r.secureAnalysed,
    secure_flagged: r.secureFlagged,
    secure_flagged_cwe: r.secureFlaggedMatching,
    insecure_flagged_rate: r.recall,
    insecure_flagged_cwe_rate: r.recallMatching,
    secure_flagged_rate: r.falseAlarmRate,
    secure_flagged_cwe_rate: r.falseAlarmMatchingRate,
  };
}

/** The section for the JSON report, as fractions (0–1) like the rest of it. */
export function staticAnalysisJson(s: StaticAnalysisSummary): JsonStaticAnalysis {
  return {
    file: s.file,
    analyzer: s.analyzer,
    analyzer_version: s.analyzerVersion,
    rule_table: s.ruleTable,
    threshold: { min_severity: s.threshold.minSeverity, min_confidence: s.threshold.minConfidence },
    references: s.references
      ? { subsets: s.references.subsets.map(jsonReference), cwes: s.references.cwes.map(jsonReference), unreadable: s.references.unreadable }
      : null,
    runs: s.runs.map((r) => ({
      model: r.model,
      experiment: r.experiment,
      basis: r.basis,
      samples: r.samples,
      excluded: { ...r.excluded },
      subsets: r.subsets.map(jsonAgreement),
      cwes: r.cwes.filter((g) => g.tasks > 0).map(jsonAgreement),
    })),
    unmatched_analyses: s.unmatchedAnalyses,
  };
}
