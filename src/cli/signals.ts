/** Exit status of a run stopped by a signal: 128 + the signal's number, as shells report it. */
export const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;

export interface Interrupts {
  /** Aborted at the first SIGINT or SIGTERM. */
  signal: AbortSignal;
  /** Which signal stopped the run, if any. */
  received(): 'SIGINT' | 'SIGTERM' | null;
  dispose(): void;
}

/**
 * Ctrl-C means stop. The first SIGINT or SIGTERM aborts the work, which stops at a sample
 * boundary, keeps every finished result and cleans up; a second one exits at once (exit
 * handlers still release locks and remove temporary folders). Sandbox workers run in their
 * own process group, so a terminal's Ctrl-C reaches only this process.
 */
let stoppedBy: 'SIGINT' | 'SIGTERM' | null = null;

/** The signal that stopped this process's command, if one did. */
export function interruptReceived(): 'SIGINT' | 'SIGTERM' | null {
  return stoppedBy;
}

export function handleInterrupts(label: string, stream: NodeJS.WriteStream = process.stderr): Interrupts {
  const controller = new AbortController();
  let got: 'SIGINT' | 'SIGTERM' | null = null;
  const on = (sig: 'SIGINT' | 'SIGTERM') => () => {
    if (got) {
      stream.write(`\n${label}: ${sig} again: quitting now\n`);
      process.exit(SIGNAL_EXIT[sig]);
    }
    got = sig;
    stoppedBy = sig;
    stream.write(`\n${label}: ${sig === 'SIGINT' ? 'interrupted' : 'terminated'}; stopping after the samples in flight are abandoned (${sig} again to quit at once)\n`);
    controller.abort();
  };
  const onInt = on('SIGINT');
  const onTerm = on('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return {
    signal: controller.signal,
    received: () => got,
    dispose() {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    },
  };
}
