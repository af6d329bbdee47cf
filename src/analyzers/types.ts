/**
 * Static analyzers run beside the tests: they read a program's text and never execute it.
 * Every analyzer (Bandit now, Semgrep or others later) answers in these shapes so the analyze
 * stage, the agreement scores and feedback-repair strategies need not know which one ran.
 */

import { SEVERITIES, type Finding, type Severity } from '../core/analysis.js';

export { SEVERITIES, type Finding, type Severity };

/**
 * The analysis of one program. `error` is set when the analyzer could not read this program
 * (a syntax error, an analyzer crash on it): its findings are then incomplete, not "clean".
 */
export interface ProgramAnalysis {
  findings: Finding[];
  error: string | null;
}

export interface Availability {
  ok: boolean;
  /** Why not, on one line, when ok is false. */
  why?: string;
}

export interface Analyzer {
  /** The registry name (`--analyzer NAME`). */
  readonly name: string;
  /** The name people know it by, for `doctor`'s line. */
  readonly label: string;
  /** How to install it, on one line (`doctor` prints it when the analyzer is missing). */
  readonly install: string;
  /** The analyzer's own version, e.g. "1.6.2". */
  version(): Promise<string>;
  /** Version of the table that maps this analyzer's rules to CWEs, stored with every analysis. */
  readonly ruleTable: string;
  available(): Promise<Availability>;
  /**
   * Analyse programs given as text; the answer has one entry per program, in order. A program
   * the analyzer cannot handle gets its own `error`; only a failure of the analyzer as a whole
   * (not installed, killed) rejects.
   */
  analyzePrograms(programs: readonly string[]): Promise<ProgramAnalysis[]>;
}

const RANK: Record<Severity, number> = { LOW: 0, MEDIUM: 1, HIGH: 2 };

/** Whether a finding reaches a severity and confidence threshold (both inclusive). */
export function reaches(f: Pick<Finding, 'severity' | 'confidence'>, minSeverity: Severity, minConfidence: Severity): boolean {
  return RANK[f.severity] >= RANK[minSeverity] && RANK[f.confidence] >= RANK[minConfidence];
}
