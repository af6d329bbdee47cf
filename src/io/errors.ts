/**
 * Error wording shared by every reader and writer in src/io, so a user sees one style
 * whichever command read the file.
 *
 * - `FileError`: a UserError that also carries the file (and line) it is about.
 * - `oneLine(text)`: collapse anything that would break a one-line message.
 * - `fsReason(e)`: a short phrase for a file-system error ("no such file", "permission denied").
 * - `issueLine(where, zodError, whole?)`: `WHERE: FIELD: PROBLEM` from zod's first issue; FIELD
 *   is the issue path joined by '.', or `whole` ("(line)" by default) when the whole value is
 *   at fault.
 */
import type { z } from 'zod';
import { UserError } from '../core/errors.js';
import { firstIssue } from '../core/zod-issue.js';

/** A UserError about a file, optionally at a line; the message already names both. */
export class FileError extends UserError {
  override name = 'FileError';
  constructor(
    message: string,
    readonly file: string,
    readonly line?: number,
  ) {
    super(oneLine(message));
  }
}

/**
 * Messages quote untrusted text (JSON.parse's excerpt of a line, zod messages, file names);
 * control characters in them must not split the CLI's one-line error or move the cursor.
 */
export function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return text.replace(/\s*[\r\n]+\s*/g, ' ').replace(/[\u0000-\u001f\u007f]/g, '?');
}

const REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EISDIR: 'is a directory, not a file',
  ENOTDIR: 'a part of the path is not a folder',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EEXIST: 'already exists',
  ENAMETOOLONG: 'file name too long',
  ELOOP: 'too many levels of symbolic links',
  EMFILE: 'too many open files',
  EIO: 'input/output error',
  EFBIG: 'file too large',
};

export function errnoCode(e: unknown): string | undefined {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Node's own messages repeat the path and syscall ("ENOENT: no such file ..., open 'x'"). */
export function fsReason(e: unknown): string {
  const code = errnoCode(e);
  if (code && REASONS[code]) return REASONS[code];
  if (code) return `${code} (${oneLine(String((e as Error).message ?? ''))})`;
  return oneLine(e instanceof Error ? e.message : String(e));
}

/** True for errors thrown by the file system (they have an errno code), not by our own code. */
export function isFsError(e: unknown): boolean {
  return errnoCode(e) !== undefined && !(e instanceof UserError);
}

/** `WHERE: FIELD: PROBLEM` for zod's first issue. */
export function issueLine(where: string, error: z.ZodError, whole = '(line)'): string {
  const { field, message } = firstIssue(error, whole);
  return oneLine(`${where}: ${field}: ${message}`);
}
