import type { z } from 'zod';

/** "field: message" for the first problem zod found, for one-line errors. */
export function firstIssue(error: z.ZodError): { field: string; message: string } {
  const issue = error.issues[0];
  if (!issue) return { field: '(record)', message: 'invalid' };
  const field = issue.path.length ? issue.path.map(String).join('.') : '(record)';
  return { field, message: issue.message };
}
