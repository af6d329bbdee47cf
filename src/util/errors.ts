/**
 * An error a user caused and can fix (bad input, missing key, unknown task). The CLI prints
 * its message on one line and exits non-zero without a stack trace.
 */
export class UserError extends Error {
  override name = 'UserError';
}

/** A broken dataset file or record: the message names file, record and field. */
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
