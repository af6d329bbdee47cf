import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { firstIssue } from '../dataset/schema.js';
import type { Dataset } from '../dataset/types.js';
import { STATUSES } from '../sandbox/types.js';
import { DatasetError } from '../util/errors.js';

/**
 * The file `codeseceval dataset validate --json` writes and `report --validation` reads:
 * how each task's own Secure and Insecure Code fare against its Test. A task whose verdict is
 * not "ok" is broken: a model cannot be judged fairly on it.
 */
export const VALIDATION_VERDICTS = ['ok', 'secure-fails', 'insecure-passes', 'both-wrong'] as const;
export type ValidationVerdict = (typeof VALIDATION_VERDICTS)[number];

const Execution = z.looseObject({
  status: z.enum(STATUSES),
  detail: z.string(),
});

export const ValidationRecord = z.looseObject({
  task_id: z.string().min(1),
  subset: z.enum(['SecEvalBase', 'SecEvalPlus', 'HumanEval']),
  verdict: z.enum(VALIDATION_VERDICTS),
  reason: z.string(),
  secure: Execution,
  /** Null for HumanEval tasks, which have no insecure reference. */
  insecure: Execution.nullable(),
});
export type ValidationRecord = z.infer<typeof ValidationRecord>;

export const ValidationFile = z.looseObject({
  /** Where the validated dataset was loaded from. */
  dataset: z.string(),
  records: z.array(ValidationRecord),
});
export type ValidationFile = z.infer<typeof ValidationFile>;

export interface Validation {
  file: string;
  data: ValidationFile;
  /** Records whose verdict is not "ok", by task ID. */
  broken: Map<string, ValidationRecord>;
}

/** Parse and check a validation file; with a dataset, every task_id must belong to it. */
export function loadValidation(file: string, dataset?: Dataset): Validation {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new DatasetError(file, `cannot read validation file: ${(e as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new DatasetError(file, `invalid JSON: ${(e as Error).message}`);
  }
  const parsed = ValidationFile.safeParse(raw);
  if (!parsed.success) {
    const { field, message } = firstIssue(parsed.error);
    const issue = parsed.error.issues[0];
    // Name the record by its task_id when the problem is inside one.
    let recordId: string | undefined;
    if (issue && issue.path[0] === 'records' && typeof issue.path[1] === 'number') {
      const rec = (raw as { records: unknown[] }).records[issue.path[1]];
      const id = rec && typeof rec === 'object' ? (rec as Record<string, unknown>).task_id : undefined;
      recordId = typeof id === 'string' ? id : `#${issue.path[1] + 1}`;
    }
    throw new DatasetError(file, message, recordId, field);
  }
  const broken = new Map<string, ValidationRecord>();
  const seen = new Set<string>();
  for (const r of parsed.data.records) {
    if (seen.has(r.task_id)) throw new DatasetError(file, 'duplicate task_id', r.task_id, 'task_id');
    seen.add(r.task_id);
    if (dataset && !dataset.byId.has(r.task_id)) {
      throw new DatasetError(file, `task is not in the dataset ${dataset.source}`, r.task_id, 'task_id');
    }
    if (r.verdict !== 'ok') broken.set(r.task_id, r);
  }
  return { file, data: parsed.data, broken };
}
