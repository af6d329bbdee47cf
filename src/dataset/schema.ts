import { z } from 'zod';

/** A SecEvalBase / SecEvalPlus record, as published upstream. */
export const CodeSecEvalRecord = z.object({
  ID: z.string().min(1),
  Problem: z.string().min(1),
  'Insecure Code': z.string().min(1),
  'Secure Code': z.string().min(1),
  Test: z.string().regex(/def\s+check\s*\(/, 'must define check(candidate)'),
  Entry_Point: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a Python identifier'),
});
export type CodeSecEvalRecord = z.infer<typeof CodeSecEvalRecord>;

/** One record of the annotation file, joined to the main records by ID. */
export const AnnotationRecord = z.object({
  ID: z.string().min(1),
  'Vulnerability-aware Information': z.string().min(1),
  'Insecure Code Explanation': z.string().min(1),
});
export type AnnotationRecord = z.infer<typeof AnnotationRecord>;

/** One line of a HumanEval-format JSONL file. */
export const HumanEvalRecord = z.object({
  task_id: z.string().min(1),
  prompt: z.string(),
  canonical_solution: z.string(),
  test: z.string().regex(/def\s+check\s*\(/, 'must define check(candidate)'),
  entry_point: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a Python identifier'),
});
export type HumanEvalRecord = z.infer<typeof HumanEvalRecord>;

/** "field: message" for the first problem zod found, for one-line errors. */
export function firstIssue(error: z.ZodError): { field: string; message: string } {
  const issue = error.issues[0];
  if (!issue) return { field: '(record)', message: 'invalid' };
  const field = issue.path.length ? issue.path.map(String).join('.') : '(record)';
  return { field, message: issue.message };
}
