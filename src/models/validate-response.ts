import type { z } from 'zod';
import { ProviderError } from './provider.js';

/**
 * Check a server's answer against the fields we read. Compatible servers differ from the
 * vendors' APIs, so a malformed answer is that sample's error, not a crash.
 */
export function parseResponse<T>(schema: z.ZodType<T>, data: unknown, where: string): T {
  const parsed = schema.safeParse(data);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const at = issue?.path.length ? `${issue.path.map(String).join('.')}: ` : '';
  throw new ProviderError(`${where}: malformed response: ${at}${issue?.message ?? 'invalid'}`, false);
}
