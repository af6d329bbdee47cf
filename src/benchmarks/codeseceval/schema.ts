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
