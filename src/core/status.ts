import { z } from 'zod';

/** Verdicts of one execution. Only `passed` counts towards pass@k. */
export const STATUSES = ['passed', 'failed', 'error', 'timeout', 'memory', 'resource', 'killed', 'sandbox-error'] as const;
export const Status = z.enum(STATUSES);
export type Status = z.infer<typeof Status>;

export function emptyStatusCounts(): Record<Status, number> {
  return Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<Status, number>;
}
