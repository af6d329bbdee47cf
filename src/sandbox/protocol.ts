import { z } from 'zod';
import { TestCaseOutcome } from '../core/result.js';
import { SoftOutcome } from '../core/soft.js';
import { Status } from '../core/status.js';

/** A job as the Python runner reads it (one JSON line on its stdin). */
export interface RunnerJob {
  id: number;
  program: string;
  test: string;
  entry_point: string;
  /** Path of the task's staged fixtures as the runner sees it, or null. */
  fixtures: string | null;
  fixture_name: string;
  timeout: number;
  memory_mb: number;
  file_size_mb: number;
  max_procs: number;
  /** Unprivileged uid the sample runs as (privileged sandbox only). */
  uid: number | null;
  workspace_root: string;
  soft: boolean;
  /** cgroup folders (as the runner sees them) the sample's first process joins before it runs anything. */
  cgroups?: string[];
  /** Test-file jobs only (absent: a check job). */
  harness?: 'test-file';
  framework?: 'unittest' | 'pytest';
  module?: string;
  test_file?: string;
}

/** The runner's first line, once its imports are done. */
export const ReadyLine = z.object({ ready: z.literal(true), preloaded: z.array(z.string()), python: z.string() });

/** Longest detail and output tail kept from a result line (the runner sends at most 2,000 characters of each tail). */
export const MAX_DETAIL_CHARS = 4000;
const capped = (max: number) => z.string().transform((s) => (s.length > max ? s.slice(0, max) : s));
const cappedTail = (max: number) => z.string().transform((s) => (s.length > max ? s.slice(-max) : s));

/**
 * One result line from the runner; `soft` is the contract's own soft-assert outcome. Every
 * field is bounded: a result line is written to results files and shown in reports whatever
 * reached the runner's channel.
 */
export const RunnerResult = z.object({
  id: z.number().int().nullable(),
  status: Status,
  detail: capped(MAX_DETAIL_CHARS),
  duration_ms: z.number().nonnegative(),
  stdout_tail: cappedTail(MAX_DETAIL_CHARS),
  stderr_tail: cappedTail(MAX_DETAIL_CHARS),
  soft: SoftOutcome.optional(),
  /** The module whose absence ended the run: top-level name, or dotted when only a submodule is missing. */
  missing_module: z.string().max(200).optional(),
  /** The sample tried to reach another machine (and did not pass). */
  network: z.boolean().optional(),
  /** Test-file jobs: every case with its role and outcome. */
  cases: z.array(TestCaseOutcome.extend({ name: capped(1000), detail: capped(MAX_DETAIL_CHARS).optional() })).max(10_000).optional(),
  /** The runner could not reset the sandbox after this job and exits: start a fresh one. */
  retire: z.boolean().optional(),
});
export type RunnerResult = z.infer<typeof RunnerResult>;
