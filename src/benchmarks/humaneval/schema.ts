import { z } from 'zod';

/** One line of a HumanEval-format JSONL file. */
export const HumanEvalRecord = z.object({
  task_id: z.string().min(1),
  prompt: z.string(),
  canonical_solution: z.string(),
  test: z.string().regex(/def\s+check\s*\(/, 'must define check(candidate)'),
  entry_point: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a Python identifier'),
});
export type HumanEvalRecord = z.infer<typeof HumanEvalRecord>;
