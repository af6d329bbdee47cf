import { z } from 'zod';
import { FEEDBACK_KINDS } from './experiments.js';
import { Prompt, Usage } from './model.js';
import { SoftOutcome } from './soft.js';

/**
 * One line of a samples file as `evaluate` reads it: a complete program (`solution`) or text
 * appended to the task's Problem (`completion`). Unknown fields are kept and copied to the
 * results, so samples made by other tools keep what they carry.
 */
export const SampleLine = z
  .looseObject({
    task_id: z.string().min(1),
    solution: z.string().optional(),
    completion: z.string().optional(),
    /** Set by `generate`; samples from elsewhere may carry them too. */
    model: z.string().optional(),
    experiment: z.string().optional(),
  })
  .refine((s) => s.solution !== undefined || s.completion !== undefined, {
    message: 'needs "solution" or "completion"',
    path: ['solution'],
  });
export type SampleLine = z.infer<typeof SampleLine>;

/**
 * The settings a sample was made with: part of a run's identity (a resume under other settings
 * is refused, and reports print them). `n` and `template_hash` are absent in files written
 * before they were recorded.
 */
export const SampleParams = z.object({
  temperature: z.number().nullable(),
  top_p: z.number().nullable(),
  max_tokens: z.number().int().positive(),
  seed: z.number().int().nullable(),
  stop: z.array(z.string()).nullable(),
  /** Samples asked per task and experiment (`-n`). */
  n: z.number().int().positive().optional(),
  /** SHA-256 of the prompt template's text, so an edited template is a different run. */
  template_hash: z.string().optional(),
});
export type SampleParams = z.infer<typeof SampleParams>;

/** One round of a multi-round experiment, kept with the sample. */
export const SampleRound = z.looseObject({
  round: z.number().int().nonnegative(),
  /** What the model was told before this round's answer (null for round 0: the experiment's prompt). */
  feedback: z.string().nullable(),
  raw: z.string(),
  solution: z.string(),
  extraction: z.string(),
  usage: Usage.nullable(),
  cached: z.boolean(),
  /** The verdict of this round's program, when it was run. */
  status: z.string().nullable(),
  passed: z.boolean().nullable(),
  detail: z.string().nullable(),
  /** Static-analysis findings on this round's program, when an analyzer ran. */
  findings: z
    .array(
      z.looseObject({
        rule: z.string(),
        line: z.number(),
        severity: z.string().optional(),
        confidence: z.string().optional(),
        cwe: z.string().nullable().optional(),
        message: z.string().optional(),
      }),
    )
    .nullable()
    .optional(),
  error: z.string().nullable(),
  /** The analyzer could not read this round's program (its findings are then not "clean"). */
  analysis_error: z.string().nullable().optional(),
  /** The experiment's stop rule held after this round (tests pass, analyzer clean): no later round. */
  done: z.boolean().optional(),
  /** With soft runs asked for (`run --split`): this round's soft-assert outcome, null when it gave none. */
  soft: SoftOutcome.nullable().optional(),
  finish_reason: z.string().nullable().optional(),
  latency_ms: z.number().nonnegative().optional(),
});
export type SampleRound = z.infer<typeof SampleRound>;

/** How a feedback-repair sample was made, recorded on it (field `feedback_repair`). */
export const FeedbackRepairInfo = z.looseObject({
  kind: z.enum(FEEDBACK_KINDS),
  base_experiment: z.string(),
  /** Rounds after round 0 the sample was allowed. */
  max_rounds: z.number().int().nonnegative(),
  analyzer: z.string().nullable(),
  template: z.string(),
  /** How the loop ended: the stop rule held, the round budget ran out, or a request failed. */
  stopped: z.enum(['done', 'rounds', 'error']),
});
export type FeedbackRepairInfo = z.infer<typeof FeedbackRepairInfo>;

/**
 * One line of the samples file `generate` writes: `evaluate`'s input. `solution` is always a
 * complete program ("" when the request failed, with `error` saying why).
 */
export const GeneratedSample = z.looseObject({
  task_id: z.string().min(1),
  experiment: z.string().min(1),
  model: z.string().min(1),
  /** The provider spec behind a `LABEL=SPEC` model; absent when `model` is the spec itself. */
  model_spec: z.string().min(1).optional(),
  sample_index: z.number().int().nonnegative(),
  prompt_hash: z.string(),
  prompt: Prompt,
  template: z.string(),
  raw: z.string(),
  solution: z.string(),
  extraction: z.string(),
  finish_reason: z.string().nullable(),
  usage: Usage.nullable(),
  latency_ms: z.number().nonnegative(),
  cached: z.boolean(),
  params: SampleParams,
  error: z.string().nullable(),
  created_at: z.string(),
  /** Multi-round experiments: every round, round 0 first; `solution` is the last round's. */
  rounds: z.array(SampleRound).optional(),
  feedback_repair: FeedbackRepairInfo.optional(),
});
export type GeneratedSample = z.infer<typeof GeneratedSample>;

/** What resuming `generate` needs from a line already written; other fields may differ between versions. */
export const SampleKeyLine = z.looseObject({
  task_id: z.string().min(1),
  experiment: z.string().min(1),
  model: z.string().min(1),
  sample_index: z.number().int().nonnegative(),
  error: z.string().nullable(),
});
export type SampleKeyLine = z.infer<typeof SampleKeyLine>;

export function sampleKey(taskId: string, experiment: string, model: string, sampleIndex: number): string {
  return JSON.stringify([taskId, experiment, model, sampleIndex]);
}
