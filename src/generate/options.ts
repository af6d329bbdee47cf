import { z } from 'zod';
import { UserError } from '../core/errors.js';
import { SETTINGS_CHANGED } from './settings.js';

/**
 * The numeric ranges of the settings `generate` and `run` share, stated once: the library
 * checks its options against them and the CLI parses its flags with them, so the two never
 * disagree. `what` is how the rule reads in a message ("a number from 0 to 2").
 */
export interface NumberRule {
  flag: string;
  integer?: boolean;
  min?: number;
  /** The minimum itself is not allowed. */
  above?: boolean;
  max?: number;
  what: string;
  /** How the library words it, when not as `what` (code passes numbers, not typed text). */
  inCode?: string;
}

export const GENERATION_RULES = {
  n: { flag: '-n', integer: true, min: 1, what: 'a positive integer' },
  temperature: { flag: '--temperature', min: 0, max: 2, what: 'a number from 0 to 2', inCode: 'between 0 and 2' },
  topP: { flag: '--top-p', min: 0, above: true, max: 1, what: 'a number above 0, at most 1' },
  maxTokens: { flag: '--max-tokens', integer: true, min: 1, what: 'a positive integer' },
  seed: { flag: '--seed', integer: true, what: 'an integer' },
  concurrency: { flag: '--concurrency', integer: true, min: 1, what: 'a positive integer' },
  maxRetries: { flag: '--max-retries', integer: true, min: 0, what: 'a whole number, 0 or more' },
  /** Seconds; at most a day, since longer timers do not fire when asked. */
  requestTimeout: { flag: '--request-timeout', min: 0, above: true, max: 86_400, what: 'seconds above 0, at most 86400' },
  retryBudget: { flag: '--retry-budget', min: 0, max: 86_400, what: 'seconds from 0 to 86400' },
  rounds: { flag: '--rounds', integer: true, min: 0, max: 20, what: 'a whole number from 0 to 20' },
} as const satisfies Record<string, NumberRule>;

export function obeys(rule: Omit<NumberRule, 'flag'>, n: number): boolean {
  return (
    Number.isFinite(n) &&
    (!rule.integer || Number.isInteger(n)) &&
    (rule.min === undefined || (rule.above ? n > rule.min : n >= rule.min)) &&
    (rule.max === undefined || n <= rule.max)
  );
}


/** A number obeying `rule`; milliseconds options are checked in the seconds their flag takes. */
function ruled(rule: NumberRule, scale = 1) {
  return z.number().superRefine((v, ctx) => {
    if (!obeys(rule, v / scale)) ctx.addIssue({ code: 'custom', message: `${rule.flag} must be ${rule.inCode ?? rule.what}, got ${v / scale}` });
  });
}

const R = GENERATION_RULES;

/**
 * The generation settings the CLI flags and the library options share (everything but the
 * dataset, the model, the output file and the callbacks). One schema, one set of ranges.
 */
export const GenerationSettings = z.object({
  n: ruled(R.n).optional(),
  temperature: ruled(R.temperature).optional(),
  topP: ruled(R.topP).optional(),
  maxTokens: ruled(R.maxTokens).optional(),
  seed: ruled(R.seed).optional(),
  settingsChanged: z.enum(SETTINGS_CHANGED).optional(),
  tasks: z.array(z.string()).optional(),
  subset: z.string().optional(),
  concurrency: ruled(R.concurrency).optional(),
  baseURL: z.string().optional(),
  maxRetries: ruled(R.maxRetries).optional(),
  retryBudgetMs: ruled(R.retryBudget, 1000).optional(),
  requestTimeoutMs: ruled(R.requestTimeout, 1000).optional(),
  cacheDir: z.string().nullable().optional(),
  promptTemplate: z.string().optional(),
  retryErrors: z.boolean().optional(),
  rounds: ruled(R.rounds).optional(),
  feedbackBase: z.string().optional(),
  analyzer: z.string().optional(),
  /** Ask through the provider's batch API (half price, answers within 24 h). */
  batch: z.boolean().optional(),
  /** With `batch`: submit and record the batches, then return without waiting; the same call later collects. */
  batchDetach: z.boolean().optional(),
});
export type GenerationSettings = z.infer<typeof GenerationSettings>;

/** The settings' defaults, in one place. */
export const GENERATION_DEFAULTS = { n: 1, maxTokens: 2048, concurrency: 4, requestTimeoutMs: 300_000, rounds: 3, feedbackBase: 'direct-generation' } as const;

/** Check the shared settings; the first broken one is one line naming its flag. */
export function checkGenerationSettings(o: Record<string, unknown>): void {
  const picked = Object.fromEntries(Object.keys(GenerationSettings.shape).filter((k) => o[k] !== undefined).map((k) => [k, o[k]]));
  const r = GenerationSettings.safeParse(picked);
  if (r.success) return;
  const issue = r.error.issues[0]!;
  throw new UserError(issue.code === 'custom' ? issue.message : `${issue.path.join('.')}: ${issue.message}`);
}
