import { vi } from 'vitest';

/**
 * `expect.poll` gives up after 1 s unless told otherwise: a deadline, not a wait for a state.
 * A page here fetches and draws in a tenth of that on an idle machine, but the suite runs two
 * files at a time on 2 shared cores beside Chromium, where a draw can take longer than 1 s.
 * Browser test files call this once: every poll then waits for its state up to 15 s (a state
 * never reached still fails, only later).
 */
export function patientPolls(): void {
  vi.setConfig({ expect: { poll: { timeout: 15_000 } } });
}
