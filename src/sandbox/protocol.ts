import { z } from 'zod';
import { STATUSES } from './types.js';

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
}

/** The runner's first line, once its imports are done. */
export const ReadyLine = z.object({ ready: z.literal(true), preloaded: z.array(z.string()), python: z.string() });

const SoftOutcome = z.object({
  assertLines: z.array(z.number().int()),
  assertStatements: z.array(z.number().int()),
  executedAsserts: z.array(z.number().int()),
  failures: z.array(z.object({ line: z.number().int(), kind: z.enum(['assert', 'exception']), message: z.string() })),
});

/** One result line from the runner. */
export const RunnerResult = z.object({
  id: z.number().int().nullable(),
  status: z.enum(STATUSES),
  detail: z.string(),
  duration_ms: z.number().nonnegative(),
  stdout_tail: z.string(),
  stderr_tail: z.string(),
  soft: SoftOutcome.optional(),
});
export type RunnerResult = z.infer<typeof RunnerResult>;
