/**
 * An error a user caused and can fix (bad input, missing key, unknown task). The CLI prints
 * its message on one line and exits 1 without a stack trace.
 */
export class UserError extends Error {
  override name = 'UserError';
}

/** A broken dataset, samples, results or validation file: the message names file, record and field. */
export class DatasetError extends UserError {
  override name = 'DatasetError';
  constructor(
    readonly file: string,
    message: string,
    readonly recordId?: string,
    readonly field?: string,
  ) {
    const where = [file, recordId !== undefined ? `record ${recordId}` : undefined, field !== undefined ? `field "${field}"` : undefined]
      .filter(Boolean)
      .join(': ');
    super(`${where}: ${message}`);
  }
}

/**
 * The run was stopped by the user (Ctrl-C, SIGTERM). Work already written is kept; the CLI
 * exits 130 or 143. Nothing cut short by the stop is ever recorded as a verdict.
 */
export class InterruptedError extends Error {
  override name = 'InterruptedError';
  constructor(readonly signal: 'SIGINT' | 'SIGTERM' = 'SIGINT') {
    super(`interrupted (${signal})`);
  }
}
