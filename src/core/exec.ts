import { z } from 'zod';
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

/** One program to run against one test: everything an executor needs, nothing it must look up. */
export interface ExecJob {
  /** The complete candidate program; the executor runs `test` and `check(entryPoint)` after it. */
  program: string;
  test: string;
  entryPoint: string;
  /** The working directory holds `Test/<fixtureName>/`, with these files when given. */
  fixtureName: string;
  fixtures: FixtureSet | null;
  /** Wall-clock limit in seconds; the executor's default when absent. */
  timeoutSec?: number;
  /** Soft-assert mode: every statement of check runs, failures are listed. */
  soft?: boolean;
}

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
  maxProcs: number;
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
  close(): void;
}
