import { err as printErr } from './output.js';
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
      // Whatever failed after the user stopped the command (a helper process that got the
      // terminal's Ctrl-C too, a request cut short) is the stop, not an error of its own.
      if (e instanceof InterruptedError || interruptReceived()) {
        const sig = interruptReceived() ?? (e as InterruptedError).signal;
        printErr(`codeseceval: interrupted (${sig}); what was finished is kept — run the same command to continue\n`);
        process.exit(SIGNAL_EXIT[sig]);
      }
      const err = e instanceof Error ? e : new Error(String(e));
      const expected = err instanceof UserError;
      printErr(`codeseceval: ${expected ? '' : 'error: '}${err.message.split('\n')[0]}\n`);
      if (!expected && process.env.CODESECEVAL_DEBUG) printErr(`${err.stack}\n`);
      process.exitCode = expected ? 1 : 2;
    }
  };
}
