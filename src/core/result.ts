import { z } from 'zod';
import { SoftOutcome } from './soft.js';
import { Status } from './status.js';

/** Why a sample could not pass on this machine, whatever the model wrote. */
export const EnvironmentFailure = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('missing-module'), module: z.string(), installable: z.boolean() }),
  z.object({ kind: z.literal('network') }),
]);
export type EnvironmentFailure = z.infer<typeof EnvironmentFailure>;

/**
 * One test case of a test-file benchmark (SALLM's unittest methods, CWEval's pytest cases),
 * with its role: whether it checks what the code does or whether it is secure.
 */
export const TestCaseOutcome = z.object({
  name: z.string(),
  role: z.enum(['functionality', 'security']).nullable(),
  outcome: z.enum(['passed', 'failed', 'error', 'skipped']),
  /** Why it failed or was skipped, capped like every other detail. */
  detail: z.string().optional(),
});
export type TestCaseOutcome = z.infer<typeof TestCaseOutcome>;

/** One line of a results file: the sample's fields plus the verdict. */
export const ResultLine = z.looseObject({
  task_id: z.string().min(1),
  sample_index: z.number().int().nonnegative(),
  passed: z.boolean(),
  status: Status,
  detail: z.string(),
  duration_ms: z.number().nonnegative(),
  stdout_tail: z.string().optional(),
  stderr_tail: z.string().optional(),
  /** Set by `generate`; absent for samples from elsewhere. */
  model: z.string().optional(),
  experiment: z.string().optional(),
  solution: z.string().optional(),
  completion: z.string().optional(),
  /** `evaluate --soft`: the soft-assert outcome, null when the soft run gave none. */
  soft: SoftOutcome.nullable().optional(),
  /** Set when the sample failed for a reason of the machine, not of the program. */
  environment_failure: EnvironmentFailure.optional(),
  /** Test-file benchmarks: every test case with its role and outcome. */
  cases: z.array(TestCaseOutcome).optional(),
});
export type ResultLine = z.infer<typeof ResultLine>;
