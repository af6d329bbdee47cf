/**
 * Static analysis against execution, as plain arithmetic (no files, no analyzer): how often an
 * analyzer's clean/flagged call agrees with what running the tests said, and how often it flags
 * the dataset's known-vulnerable and known-secure references.
 *
 * "Positive" is the execution side's bad outcome: `vulnerable` when the run was split into
 * functional and security failures (only functional samples enter: a wrong program says
 * nothing about security), else `failed` (the sample did not pass the security-aware tests).
 */
import { reaches, type Finding, type Severity } from '../analyzers/types.js';
import { normaliseCwe } from '../util/cwe.js';

/** 2×2 counts: analyzer (flagged / clean) × execution (positive / negative). */
export interface Confusion {
  flaggedPositive: number;
  flaggedNegative: number;
  cleanPositive: number;
  cleanNegative: number;
}

export function emptyConfusion(): Confusion {
  return { flaggedPositive: 0, flaggedNegative: 0, cleanPositive: 0, cleanNegative: 0 };
}

export function addPair(c: Confusion, flagged: boolean, positive: boolean): void {
  if (flagged) {
    if (positive) c.flaggedPositive++;
    else c.flaggedNegative++;
  } else if (positive) c.cleanPositive++;
  else c.cleanNegative++;
}

export function total(c: Confusion): number {
  return c.flaggedPositive + c.flaggedNegative + c.cleanPositive + c.cleanNegative;
}

export interface Kappa {
  /** Null when undefined (see `note`). */
  value: number | null;
  note: string | null;
}

/**
 * Cohen's kappa, (p_o − p_e) / (1 − p_e), of the two judges on the same samples. Defined
 * whenever p_e < 1. It is undefined with no sample, and when p_e = 1, which happens only
 * when both judges gave one and the same answer on every sample (then p_o = 1 too): chance
 * alone explains all the agreement and there is nothing left to measure. When only one judge
 * is constant, p_e = p_o and kappa is 0.
 */
export function cohenKappa(c: Confusion): Kappa {
  const n = total(c);
  if (n === 0) return { value: null, note: 'no samples' };
  const flagged = c.flaggedPositive + c.flaggedNegative;
  const positive = c.flaggedPositive + c.cleanPositive;
  const po = (c.flaggedPositive + c.cleanNegative) / n;
  const pe = (flagged * positive + (n - flagged) * (n - positive)) / (n * n);
  if (pe >= 1) return { value: null, note: 'undefined: both judges gave the same single answer on every sample' };
  // Rounding can leave a tiny negative zero or 1 + ε; neither means anything.
  const k = (po - pe) / (1 - pe);
  return { value: Math.min(1, Math.max(-1, k === 0 ? 0 : k)), note: null };
}

export interface Agreement {
  counts: Confusion;
  n: number;
  /** Share of samples where both judges agree (p_o); null with no sample. */
  accuracy: number | null;
  kappa: Kappa;
  /** Share of samples the analyzer flags. */
  flaggedRate: number | null;
  /** Share of samples execution calls positive. */
  positiveRate: number | null;
  /** Of the positive samples, the share the analyzer flags. */
  sensitivity: number | null;
  /** Of the negative samples, the share the analyzer flags. */
  falseAlarmRate: number | null;
}

const ratio = (a: number, b: number): number | null => (b === 0 ? null : a / b);

export function agreementOf(c: Confusion): Agreement {
  const n = total(c);
  const positives = c.flaggedPositive + c.cleanPositive;
  const negatives = c.flaggedNegative + c.cleanNegative;
  return {
    counts: { ...c },
    n,
    accuracy: ratio(c.flaggedPositive + c.cleanNegative, n),
    kappa: cohenKappa(c),
    flaggedRate: ratio(c.flaggedPositive + c.flaggedNegative, n),
    positiveRate: ratio(positives, n),
    sensitivity: ratio(c.flaggedPositive, positives),
    falseAlarmRate: ratio(c.flaggedNegative, negatives),
  };
}

/** One sample both judged: the analyzer's call and the execution verdict. */
export interface JudgedPair {
  taskId: string;
  flagged: boolean;
  positive: boolean;
}

export interface Group {
  label: string;
  ids: readonly string[];
}

export interface GroupAgreement extends Agreement {
  group: string;
  /** Tasks of the group with at least one judged sample. */
  tasks: number;
}

/** Agreement per group (overall, subsets, CWEs), over the pairs whose task is in the group. */
export function agreementByGroup(pairs: readonly JudgedPair[], groups: readonly Group[]): GroupAgreement[] {
  const byTask = new Map<string, Confusion>();
  for (const p of pairs) {
    let c = byTask.get(p.taskId);
    if (!c) byTask.set(p.taskId, (c = emptyConfusion()));
    addPair(c, p.flagged, p.positive);
  }
  return groups.map((g) => {
    const c = emptyConfusion();
    let tasks = 0;
    for (const id of g.ids) {
      const t = byTask.get(id);
      if (!t) continue;
      tasks++;
      c.flaggedPositive += t.flaggedPositive;
      c.flaggedNegative += t.flaggedNegative;
      c.cleanPositive += t.cleanPositive;
      c.cleanNegative += t.cleanNegative;
    }
    return { group: g.label, tasks, ...agreementOf(c) };
  });
}

/** Which findings count: at least this severity and this confidence (LOW/LOW: all of them). */
export interface FlagThreshold {
  minSeverity: Severity;
  minConfidence: Severity;
}

export const ANY_FINDING: FlagThreshold = { minSeverity: 'LOW', minConfidence: 'LOW' };

export function countedFindings<F extends Pick<Finding, 'severity' | 'confidence'>>(findings: readonly F[], t: FlagThreshold): F[] {
  return findings.filter((f) => reaches(f, t.minSeverity, t.minConfidence));
}

export function isFlagged(findings: readonly Pick<Finding, 'severity' | 'confidence'>[], t: FlagThreshold): boolean {
  return countedFindings(findings, t).length > 0;
}

function cweNumber(cwe: string): number | null {
  try {
    return Number(normaliseCwe(cwe).slice(4));
  } catch {
    return null;
  }
}

/**
 * A counted finding names one of the task's CWEs (numbers compared whole: CWE-20 never
 * matches CWE-200). The merged authorization type matches any of its members.
 */
export function flagsTaskCwe(findings: readonly Pick<Finding, 'severity' | 'confidence' | 'cwe'>[], taskCwes: readonly string[], t: FlagThreshold): boolean {
  const want = new Set(taskCwes.map(cweNumber).filter((n): n is number => n !== null));
  return countedFindings(findings, t).some((f) => f.cwe !== null && want.has(cweNumber(f.cwe) ?? -1));
}

/** The analyzer's call on one reference: null when it could not read it or it is blank. */
export interface ReferenceCall {
  flagged: boolean;
  /** Flagged with a finding of the task's own CWE. */
  matching: boolean;
}

export interface ReferenceItem {
  taskId: string;
  secure: ReferenceCall | null;
  insecure: ReferenceCall | null;
}

export interface ReferenceRow {
  group: string;
  /** Tasks of the group with an analysed reference. */
  tasks: number;
  insecureAnalysed: number;
  insecureFlagged: number;
  insecureFlaggedMatching: number;
  secureAnalysed: number;
  secureFlagged: number;
  secureFlaggedMatching: number;
  /** Share of Insecure Code flagged: the analyzer's recall on known-vulnerable code. */
  recall: number | null;
  /** Share of Insecure Code flagged with a finding of the task's own CWE. */
  recallMatching: number | null;
  /** Share of Secure Code flagged: false alarms on code the tests call secure. */
  falseAlarmRate: number | null;
  falseAlarmMatchingRate: number | null;
}

export function referenceRows(items: readonly ReferenceItem[], groups: readonly Group[]): ReferenceRow[] {
  const byTask = new Map(items.map((i) => [i.taskId, i]));
  return groups.map((g) => {
    const row: ReferenceRow = {
      group: g.label,
      tasks: 0,
      insecureAnalysed: 0,
      insecureFlagged: 0,
      insecureFlaggedMatching: 0,
      secureAnalysed: 0,
      secureFlagged: 0,
      secureFlaggedMatching: 0,
      recall: null,
      recallMatching: null,
      falseAlarmRate: null,
      falseAlarmMatchingRate: null,
    };
    for (const id of g.ids) {
      const it = byTask.get(id);
      if (!it || (!it.secure && !it.insecure)) continue;
      row.tasks++;
      if (it.insecure) {
        row.insecureAnalysed++;
        if (it.insecure.flagged) row.insecureFlagged++;
        if (it.insecure.matching) row.insecureFlaggedMatching++;
      }
      if (it.secure) {
        row.secureAnalysed++;
        if (it.secure.flagged) row.secureFlagged++;
        if (it.secure.matching) row.secureFlaggedMatching++;
      }
    }
    row.recall = ratio(row.insecureFlagged, row.insecureAnalysed);
    row.recallMatching = ratio(row.insecureFlaggedMatching, row.insecureAnalysed);
    row.falseAlarmRate = ratio(row.secureFlagged, row.secureAnalysed);
    row.falseAlarmMatchingRate = ratio(row.secureFlaggedMatching, row.secureAnalysed);
    return row;
  });
}

/** What the execution side of one run is: the func/sec split, or plain pass/fail. */
export type AgreementBasis = 'split' | 'pass-fail';

/** Samples of a run left out of the 2×2, by reason. */
export interface Excluded {
  /** No line for the sample in the analysis file. */
  notAnalysed: number;
  /** The analysis was made from a different program text than the results line holds. */
  programChanged: number;
  /** The analyzer could not read the program (syntax error...). */
  unreadable: number;
  /** Blank program (a failed model request, most often). */
  empty: number;
  /** Split basis: the sample is not functional, so its security cannot be told. */
  wrong: number;
  /** Split basis: the task has no labels, or no functional and security check. */
  unsplittable: number;
}

export function emptyExcluded(): Excluded {
  return { notAnalysed: 0, programChanged: 0, unreadable: 0, empty: 0, wrong: 0, unsplittable: 0 };
}

export interface RunAgreement {
  model: string;
  experiment: string;
  basis: AgreementBasis;
  /** Result lines of the run. */
  samples: number;
  excluded: Excluded;
  /** Overall, then each subset. */
  subsets: GroupAgreement[];
  cwes: GroupAgreement[];
}

/** Everything the "Static analysis vs tests" report section shows. */
export interface StaticAnalysisSummary {
  file: string;
  analyzer: string;
  analyzerVersion: string;
  ruleTable: string;
  threshold: FlagThreshold;
  /** Per group on the dataset's own references; null when the analysis has none. */
  references: { subsets: ReferenceRow[]; cwes: ReferenceRow[]; unreadable: number } | null;
  runs: RunAgreement[];
  /** Sample lines of the analysis file that match no result line given to the report. */
  unmatchedAnalyses: number;
}
