import { InvalidArgumentError } from 'commander';
import { parseKList } from '../score/passk.js';
import { parseShardSpec, type Shard } from '../core/shard.js';

/**
 * Every numeric flag of every command is parsed here. Commander reports an
 * InvalidArgumentError as one line naming the flag and exits 1, before any work starts.
 */

export function positiveInt(flag: string): (v: string) => number {
  return numberArg(flag, { integer: true, min: 1, what: 'a positive integer' });
}

export function nonNegativeInt(flag: string): (v: string) => number {
  return numberArg(flag, { integer: true, min: 0, what: 'a whole number, 0 or more' });
}

interface NumberRule {
  integer?: boolean;
  min?: number;
  /** The minimum itself is not allowed. */
  above?: boolean;
  max?: number;
  /** How the rule reads in the message: "a number from 0 to 2". */
  what: string;
}

/** Parse a numeric flag by `rule`; a bad value is one line naming the flag (exit 1), like positiveInt. */
export function numberArg(flag: string, rule: NumberRule): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    const ok =
      v.trim() !== '' &&
      Number.isFinite(n) &&
      (!rule.integer || Number.isInteger(n)) &&
      (rule.min === undefined || (rule.above ? n > rule.min : n >= rule.min)) &&
      (rule.max === undefined || n <= rule.max);
    if (!ok) throw new InvalidArgumentError(`${flag} must be ${rule.what}, got "${v}".`);
    return n;
  };
}

/** The sampling and request flags generate and run share. */
export const temperatureArg = numberArg('--temperature', { min: 0, max: 2, what: 'a number from 0 to 2' });
export const topPArg = numberArg('--top-p', { min: 0, above: true, max: 1, what: 'a number above 0, at most 1' });
export const seedArg = numberArg('--seed', { integer: true, what: 'an integer' });
export const maxRetriesArg = numberArg('--max-retries', { integer: true, min: 0, what: 'a whole number, 0 or more' });
/** Seconds; at most a day, since longer timers do not fire when asked. */
export const requestTimeoutArg = numberArg('--request-timeout', { min: 0, above: true, max: 86_400, what: 'seconds above 0, at most 86400' });
export const retryBudgetArg = numberArg('--retry-budget', { min: 0, max: 86_400, what: 'seconds from 0 to 86400' });

/** `--k` of report and run: comma-separated positive integers, sorted, without repeats. */
export function kListArg(v: string): number[] {
  try {
    return parseKList(v);
  } catch (e) {
    throw new InvalidArgumentError(`--k: ${(e as Error).message}.`);
  }
}

/** `--timeout`: seconds above 0, or "auto" (per task, from its Secure Code's runtime). */
export function timeoutArg(v: string): number | 'auto' {
  return v === 'auto' ? 'auto' : numberArg('--timeout', { min: 0, above: true, what: 'seconds above 0 or "auto"' })(v);
}


/**
 * `--shard I/N|auto` of generate, evaluate and run. "auto" is kept as it is and read from the
 * scheduler's variables when the command starts (`shardFrom`), so parsing never depends on
 * the environment.
 */
export function shardArg(v: string): Shard | 'auto' {
  if (v.trim() === 'auto') return 'auto';
  try {
    return parseShardSpec(v, {});
  } catch (e) {
    throw new InvalidArgumentError(`${(e as Error).message.replace(/^--shard:? ?/, '')}.`);
  }
}

/** The shard a command works on: "auto" read from the scheduler now (a bad variable is one line, before any work). */
export function shardFrom(flag: Shard | 'auto' | undefined): Shard | undefined {
  return flag === 'auto' ? parseShardSpec('auto') : flag;
}

export const SHARD_HELP = 'only the samples of shard I of N (I from 0 to N-1), by a stable hash of each sample, into <out>.shard-I-of-N; "auto" reads SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX (with CODESECEVAL_SHARDS)';
