import { z } from 'zod';
import { readJsonFileSync } from '../io/jsonl.js';
import { countLabels, type TaskLabels } from './labels.js';
import { DatasetError } from '../core/errors.js';
import type { Dataset } from '../core/task.js';
import { ASSERT_LABELS, ValidationFile, type ValidationRecord } from '../core/validation.js';
import { firstIssue } from '../core/zod-issue.js';

export interface Validation {
  file: string;
  data: ValidationFile;
  /** Records whose verdict is not "ok", by task ID. */
  broken: Map<string, ValidationRecord>;
  /** Assert labels by task ID; null when the file has none (made without --labels). */
  labels: Map<string, TaskLabels> | null;
}

/** The labels a record stores, or null when it has none. */
export function recordLabels(r: ValidationRecord): TaskLabels | null {
  if (!r.assert_labels || !r.soft_runs) return null;
  return {
    known: r.soft_runs.secure.outcome,
    asserts: r.assert_labels,
    statements: r.statement_labels ?? [],
    counts: countLabels(r.assert_labels),
  };
}

/** Parse and check a validation file; with a dataset, every task_id must belong to it. */
export function loadValidation(file: string, dataset?: Dataset): Validation {
  const raw = readJsonFileSync(file, z.unknown());
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
  const labels = new Map<string, TaskLabels>();
  const seen = new Set<string>();
  for (const r of parsed.data.records) {
    if (seen.has(r.task_id)) throw new DatasetError(file, 'duplicate task_id', r.task_id, 'task_id');
    seen.add(r.task_id);
    if (dataset && !dataset.byId.has(r.task_id)) {
      throw new DatasetError(file, `task is not in the dataset ${dataset.source}`, r.task_id, 'task_id');
    }
    if (r.verdict !== 'ok') broken.set(r.task_id, r);
    if ((r.assert_labels === undefined) !== (r.soft_runs === undefined)) {
      throw new DatasetError(file, '"assert_labels" and "soft_runs" come together', r.task_id, r.assert_labels ? 'soft_runs' : 'assert_labels');
    }
    const lab = recordLabels(r);
    if (!lab) continue;
    const lines = lab.asserts.map((a) => a.line);
    if (new Set(lines).size !== lines.length) throw new DatasetError(file, 'an assert line is listed twice', r.task_id, 'assert_labels');
    if (r.label_counts) {
      for (const k of ASSERT_LABELS) {
        if (r.label_counts[k] !== lab.counts[k]) {
          throw new DatasetError(file, `says ${r.label_counts[k]} ${k} asserts but "assert_labels" has ${lab.counts[k]}`, r.task_id, `label_counts.${k}`);
        }
      }
    }
    labels.set(r.task_id, lab);
  }
  return { file, data: parsed.data, broken, labels: labels.size ? labels : null };
}
