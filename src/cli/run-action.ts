import { InterruptedError, UserError } from '../core/errors.js';
import { interruptReceived, SIGNAL_EXIT } from './signals.js';


/**
 * Wrap a command's action so any failure becomes one line on stderr and a non-zero exit:
 * 1 for bad input, 130/143 when the user stopped it, 2 for anything unexpected (whose stack
 * is printed when CODESECEVAL_DEBUG is set).
 */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void> | void): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
      // Stopped by the user and cleaned up: exit now, whatever handle a library left open.
      const sig = interruptReceived();
      if (sig) process.exit(process.exitCode ?? SIGNAL_EXIT[sig]);
    } catch (e) {
      if (e instanceof InterruptedError) {
        process.stderr.write(`codeseceval: ${e.message}; what was finished is kept — run the same command to continue\n`);
        process.exit(SIGNAL_EXIT[interruptReceived() ?? e.signal]);
      }
      const err = e instanceof Error ? e : new Error(String(e));
      const expected = err instanceof UserError;
      process.stderr.write(`codeseceval: ${expected ? '' : 'error: '}${err.message.split('\n')[0]}\n`);
      if (!expected && process.env.CODESECEVAL_DEBUG) process.stderr.write(`${err.stack}\n`);
      process.exitCode = expected ? 1 : 2;
    }
  };
}
