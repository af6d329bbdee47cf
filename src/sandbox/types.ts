/** Verdicts of one execution. Only `passed` counts towards pass@k. */
export const STATUSES = ['passed', 'failed', 'error', 'timeout', 'memory', 'killed', 'sandbox-error'] as const;
export type Status = (typeof STATUSES)[number];

/** Outcome of one soft-assert run: every failing statement of `check`, in order. */
export interface SoftFailure {
  /** Line number inside the Test field (1-based). */
  line: number;
  kind: 'assert' | 'exception';
  message: string;
}
export interface SoftOutcome {
  /** Line numbers (in Test) of every assert statement in `check`. */
  assertLines: number[];
  /** For each entry of assertLines, the line of the top-level statement of check holding it. */
  assertStatements: number[];
  /** Assert lines that ran at least once. */
  executedAsserts: number[];
  failures: SoftFailure[];
}

export interface ExecResult {
  status: Status;
  /** Human-readable reason: "AssertionError at line 12", "NameError: name 'os' is not defined", ... */
  detail: string;
  durationMs: number;
  stdoutTail: string;
  stderrTail: string;
  /** Present only for soft-assert runs. */
  soft?: SoftOutcome;
}
