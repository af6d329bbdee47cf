import type { z } from 'zod';

/** "field: message" for the first problem zod found, for one-line errors; `whole` names the field when the whole value is at fault. */
export function firstIssue(error: z.ZodError, whole = '(record)'): { field: string; message: string } {
  const issue = error.issues[0];
  if (!issue) return { field: whole, message: 'invalid' };
  const field = issue.path.length ? issue.path.map(String).join('.') : whole;
  return { field, message: issue.message };
}
