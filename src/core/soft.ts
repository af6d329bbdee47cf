import { z } from 'zod';

const Line = z.number().int().positive();

/** One failing statement of `check` in a soft-assert run. */
export const SoftFailure = z.looseObject({
  /** Line number inside the Test field (1-based). */
  line: Line,
  kind: z.enum(['assert', 'exception']),
  message: z.string(),
});
export type SoftFailure = z.infer<typeof SoftFailure>;

/**
 * Outcome of one soft-assert run: every failing statement of `check`, in order. The Python
 * runner prints it, results files carry it as `soft`, and the runner's pytest suite and the
 * protocol test check the runner against this one schema.
 */
export const SoftOutcome = z
  .looseObject({
    /** Line numbers (in Test) of every assert statement in `check`. */
    assertLines: z.array(Line),
    /** For each entry of assertLines, the line of the top-level statement of check holding it. */
    assertStatements: z.array(Line),
    /** Assert lines that ran at least once. */
    executedAsserts: z.array(Line),
    failures: z.array(SoftFailure),
  })
  .refine((s) => s.assertStatements.length === s.assertLines.length, {
    message: 'needs one entry per entry of assertLines',
    path: ['assertStatements'],
  });
export type SoftOutcome = z.infer<typeof SoftOutcome>;
