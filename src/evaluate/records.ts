import { z } from 'zod';
import { STATUSES } from '../sandbox/types.js';

/**
 * One line of a samples file: a complete program (`solution`) or text appended to the task's
 * Problem (`completion`). Unknown fields are kept and copied to the results.
 */
export const SampleLine = z
  .looseObject({
    task_id: z.string().min(1),
    solution: z.string().optional(),
    completion: z.string().optional(),
  })
  .refine((s) => s.solution !== undefined || s.completion !== undefined, {
    message: 'needs "solution" or "completion"',
    path: ['solution'],
  });
export type SampleLine = z.infer<typeof SampleLine>;

/** One line of a results file: the sample's fields plus the verdict. */
export const ResultLine = z.looseObject({
  task_id: z.string().min(1),
  sample_index: z.number().int().nonnegative(),
  passed: z.boolean(),
  status: z.enum(STATUSES),
  detail: z.string(),
  duration_ms: z.number().nonnegative(),
  stdout_tail: z.string().optional(),
  stderr_tail: z.string().optional(),
  /** Set by `generate`; absent for samples from elsewhere. */
  model: z.string().optional(),
  experiment: z.string().optional(),
  solution: z.string().optional(),
  completion: z.string().optional(),
});
export type ResultLine = z.infer<typeof ResultLine>;
