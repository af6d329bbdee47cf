import { z } from 'zod';
import { TestCaseOutcome } from './result.js';
import { SoftOutcome } from './soft.js';
import { Status } from './status.js';

/**
 * A task's fixture files as content, not host paths, so a job can be shipped to any
 * executor (a local sandbox today, a remote one later). `id` is a content hash: executors
 * stage each set once.
 */
export interface FixtureSet {
  id: string;
  files: readonly { path: string; data: Uint8Array }[];
}

interface ExecJobBase {
  /** The complete candidate program. */
  program: string;
  /** The working directory holds `Test/<fixtureName>/`, with these files when given. */
  fixtureName: string;
  fixtures: FixtureSet | null;
  /** Wall-clock limit in seconds; the executor's default when absent. */
  timeoutSec?: number;
  /** Soft-assert mode (check jobs only): every statement of check runs, failures are listed. */
  soft?: boolean;
}

/** HumanEval's harness: `test` defines `check`, called with the program's `entryPoint` after the program ran. */
export interface CheckJob extends ExecJobBase {
  harness?: 'check';
  test: string;
  entryPoint: string;
}

/**
 * An upstream test file run against the program as a module (SALLM's unittest files,
 * CWEval's pytest files): the program is written as `<module>.py` and the test file as
 * `testFile`, both in `Test/<fixtureName>/`, which is the working directory; every test case
 * comes back with its role.
 */
export interface TestFileJob extends ExecJobBase {
  harness: 'test-file';
  framework: 'unittest' | 'pytest';
  /** The module name the test file imports. */
  module: string;
  /** The test file's name (`test_A_cwe020_0.py`). */
  testFile: string;
  /** The test file's text. */
  test: string;
}

/** One program to run against one test: everything an executor needs, nothing it must look up. */
export type ExecJob = CheckJob | TestFileJob;

export const ExecResult = z.object({
  status: Status,
  /** Human-readable reason: "AssertionError at test line 12", "NameError: name 'os' is not defined", ... */
  detail: z.string(),
  durationMs: z.number().nonnegative(),
  stdoutTail: z.string(),
  stderrTail: z.string(),
  /** Present only for soft-assert runs that reached an outcome. */
  soft: SoftOutcome.optional(),
  /** The program failed importing a module the interpreter does not have: the top-level name, or dotted when only a part of an installed package is missing. */
  missingModule: z.string().optional(),
  /** The program tried to reach the network, which the sandbox does not have. */
  network: z.boolean().optional(),
  /** Test-file jobs that reached an outcome: every test case with its role. */
  cases: z.array(TestCaseOutcome).optional(),
});
export type ExecResult = z.infer<typeof ExecResult>;

/** Limits and identity of an executor, recorded in every results file's environment record. */
export interface ExecutorInfo {
  /** Registry name: "bwrap", "none". */
  backend: string;
  interpreter: { path: string; version: string };
  timeoutSec: number;
  memoryMb: number;
  fileSizeMb: number;
  /** Size of each writable filesystem a sample gets; absent where the executor cannot bound it. */
  diskMb?: number;
  maxProcs: number;
  /** How memory and processes are bounded for a sample as a whole (its cgroup), or absent: per process only. */
  cgroup?: 'v1' | 'v2';
  jobs: number;
}

/**
 * Runs programs against tests. Results come back for every job, in any completion order
 * through `onResult` and in job order from the promise. A job cut short by `signal` (our own
 * shutdown) is never given a verdict: its index is simply absent from what `onResult` saw,
 * and the promise rejects with InterruptedError. Calls may overlap (a strategy runs programs
 * from many samples at once): they share the executor's workers.
 */
export interface Executor {
  readonly info: ExecutorInfo;
  run(jobs: readonly ExecJob[], onResult?: (index: number, result: ExecResult) => void, signal?: AbortSignal): Promise<ExecResult[]>;
  /** Later jobs run in fresh processes, none of which saw an earlier job (call between runs only). */
  recycle?(): void;
  close(): void;
}
