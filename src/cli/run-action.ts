import { InvalidArgumentError } from 'commander';
import { UserError } from '../util/errors.js';

/**
 * Wrap a command's action so any failure becomes one line on stderr and a non-zero exit.
 * Unexpected errors keep their stack when CODESECEVAL_DEBUG is set.
 */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void> | void): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      const expected = err instanceof UserError;
      process.stderr.write(`codeseceval: ${expected ? '' : 'error: '}${err.message.split('\n')[0]}\n`);
      if (!expected && process.env.CODESECEVAL_DEBUG) process.stderr.write(`${err.stack}\n`);
      process.exitCode = expected ? 1 : 2;
    }
  };
}

/**
 * Parse a positive integer flag. Commander reports InvalidArgumentError as a one-line
 * "option '--jobs <n>' argument '0' is invalid" message and exits 1.
 */
export function positiveInt(flag: string): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${flag} must be a positive integer.`);
    return n;
  };
}
