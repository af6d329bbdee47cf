import { z } from 'zod';
import { Status } from './status.js';
import { Subset } from './task.js';

const Line = z.number().int().positive();

/**
 * The file `codeseceval dataset validate` writes and `report --validation` reads: how each
 * task's own Secure and Insecure Code fare against its Test. A task whose verdict is not "ok"
 * is broken: a model cannot be judged fairly on it.
 */
/**
 * `functionality-fails`: a benchmark with only an insecure reference (SALLM) whose module
 * fails its own functionality cases, so the test cannot tell secure from broken code.
 */
export const VALIDATION_VERDICTS = ['ok', 'secure-fails', 'insecure-passes', 'both-wrong', 'functionality-fails'] as const;
export const ValidationVerdict = z.enum(VALIDATION_VERDICTS);
export type ValidationVerdict = z.infer<typeof ValidationVerdict>;

/**
 * How one assert fared in one soft run:
 * - pass: it ran and no failure is attributed to it;
 * - fail: a failure is attributed to it;
 * - skipped: its statement completed without any failure but never reached it (a branch not
 *   taken, an empty loop, the `assert False` after a call that is meant to raise);
 * - not-run: the run gave no soft outcome at all (the program did not load, timed out, was
 *   killed), so nothing is known.
 */
export const ASSERT_OUTCOMES = ['pass', 'fail', 'skipped', 'not-run'] as const;
export type AssertOutcome = (typeof ASSERT_OUTCOMES)[number];

/**
 * What an assert checks, from how the task's own references fare against it:
 * - functional: neither reference fails it;
 * - security: the Secure Code gets past it and the Insecure Code fails it;
 * - broken: the Secure Code fails it, so it cannot judge anyone;
 * - unlabelled: a reference run gave no soft outcome, so nothing is known.
 */
export const ASSERT_LABELS = ['functional', 'security', 'broken', 'unlabelled'] as const;
export type AssertLabel = (typeof ASSERT_LABELS)[number];
export type LabelCounts = Record<AssertLabel, number>;

/** One labelled assert, as stored in the validation file. */
export const AssertLabelEntry = z.looseObject({
  line: Line,
  /** Line of the top-level statement of check that holds the assert. */
  statement: Line,
  label: z.enum(ASSERT_LABELS),
  secure: z.enum(ASSERT_OUTCOMES),
  /** Null when the task has no insecure reference (HumanEval). */
  insecure: z.enum(ASSERT_OUTCOMES).nullable(),
});
export type AssertLabelEntry = z.infer<typeof AssertLabelEntry>;

/** A trailing assert-free statement that raised with a reference: security or broken. */
export const StatementLabelEntry = z.looseObject({
  line: Line,
  label: z.enum(['security', 'broken']),
});
export type StatementLabelEntry = z.infer<typeof StatementLabelEntry>;

const Execution = z.looseObject({
  status: Status,
  detail: z.string(),
});

/** A soft-assert run of a reference; `outcome` says whether it reached the end of check. */
const SoftRun = Execution.extend({ outcome: z.boolean() });

export const ValidationRecord = z.looseObject({
  task_id: z.string().min(1),
  subset: Subset,
  verdict: ValidationVerdict,
  reason: z.string(),
  /** Null where the benchmark has no secure reference (SALLM). */
  secure: Execution.nullable(),
  /** Null for HumanEval tasks, which have no insecure reference. */
  insecure: Execution.nullable(),
  /** Only with `dataset validate --labels`: every assert of check, labelled. */
  assert_labels: z.array(AssertLabelEntry).optional(),
  /** Trailing assert-free statements of check that raised with a reference. */
  statement_labels: z.array(StatementLabelEntry).optional(),
  label_counts: z.record(z.enum(ASSERT_LABELS), z.number().int().nonnegative()).optional(),
  soft_runs: z.looseObject({ secure: SoftRun, insecure: SoftRun.nullable() }).optional(),
});
export type ValidationRecord = z.infer<typeof ValidationRecord>;

export const ValidationFile = z.looseObject({
  /** Where the validated dataset was loaded from. */
  dataset: z.string(),
  records: z.array(ValidationRecord),
  /** Upstream records that could not be run at all (no test file), with why. */
  untestable: z.array(z.looseObject({ id: z.string(), reason: z.string() })).optional(),
});
export type ValidationFile = z.infer<typeof ValidationFile>;
