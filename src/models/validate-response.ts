import type { z } from 'zod';

/**
 * A server answered 200 with something that is not the answer we asked for. The message reads
 * after the server's address ("http://host/v1 answered ..."). A body that is not JSON at all
 * is often a proxy's error page or a server hiccup, so it may be asked again; valid JSON of the
 * wrong shape is what that server always sends, so it is not.
 */
export class InvalidAnswerError extends Error {
  override name = 'InvalidAnswerError';
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

function excerpt(s: string): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  return JSON.stringify(flat.length > 80 ? `${flat.slice(0, 77)}...` : flat);
}

/**
 * Check a server's answer against the fields we read. Compatible servers differ from the
 * vendors' APIs, so a malformed answer is that sample's error, not a crash.
 */
export function parseResponse<T>(schema: z.ZodType<T>, data: unknown): T {
  // The SDKs hand back the body as text when the content type is not JSON.
  if (typeof data === 'string') throw new InvalidAnswerError(`answered a body that is not JSON: ${excerpt(data)}`, true);
  if (data === undefined || data === null) throw new InvalidAnswerError('answered an empty body', true);
  const parsed = schema.safeParse(data);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const at = issue?.path.length ? `${issue.path.map(String).join('.')}: ` : '';
  throw new InvalidAnswerError(`answered a malformed response: ${at}${issue?.message ?? 'invalid'}`, false);
}
