import { InvalidArgumentError } from 'commander';
import { parseKList } from '../score/passk.js';
import { parseShardSpec, type Shard } from '../core/shard.js';
import { GENERATION_RULES, type NumberRule as GenerationRule, obeys } from '../generate/options.js';

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

type NumberRule = Omit<GenerationRule, 'flag'>;

/** Parse a numeric flag by `rule`; a bad value is one line naming the flag (exit 1), like positiveInt. */
export function numberArg(flag: string, rule: NumberRule): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    const ok = v.trim() !== '' && obeys(rule, n);
    if (!ok) throw new InvalidArgumentError(`${flag} must be ${rule.what}, got "${v}".`);
    return n;
  };
}

/** The sampling and request flags generate and run share: their ranges live with the library's options. */
export const temperatureArg = numberArg(GENERATION_RULES.temperature.flag, GENERATION_RULES.temperature);
export const topPArg = numberArg(GENERATION_RULES.topP.flag, GENERATION_RULES.topP);
export const seedArg = numberArg(GENERATION_RULES.seed.flag, GENERATION_RULES.seed);
export const maxRetriesArg = numberArg(GENERATION_RULES.maxRetries.flag, GENERATION_RULES.maxRetries);
export const requestTimeoutArg = numberArg(GENERATION_RULES.requestTimeout.flag, GENERATION_RULES.requestTimeout);
export const retryBudgetArg = numberArg(GENERATION_RULES.retryBudget.flag, GENERATION_RULES.retryBudget);
/** A shared flag parsed by its rule (-n, --max-tokens, --concurrency, --rounds). */
export function generationArg(name: keyof typeof GENERATION_RULES): (v: string) => number {
  return numberArg(GENERATION_RULES[name].flag, GENERATION_RULES[name]);
}

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

/**
 * A flag that takes one value, refusing a second instead of keeping the last one silently
 * (`generate -m A -m B` looks like a comparison, which only `run` makes).
 */
export function onlyOnce(flag: string, hint: string): (v: string, previous: string | undefined) => string {
  return (v, previous) => {
    if (previous !== undefined) throw new InvalidArgumentError(`${flag} was given twice ("${previous}", "${v}"); ${hint}`);
    return v;
  };
}
