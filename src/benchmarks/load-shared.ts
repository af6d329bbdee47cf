import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { DatasetError } from '../core/errors.js';
import type { Dataset, Task } from '../core/task.js';
import { firstIssue } from '../core/zod-issue.js';

/** Loading helpers shared by the benchmarks: one-line errors naming file, record and field. */

export function readJsonArray(file: string): unknown[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new DatasetError(file, `cannot read: ${(e as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(stripBom(text));
  } catch (e) {
    throw new DatasetError(file, `invalid JSON: ${(e as Error).message}`);
  }
  if (!Array.isArray(data)) throw new DatasetError(file, 'expected a JSON array of records');
  return data;
}

export function parseRecord<T>(schema: z.ZodType<T>, raw: unknown, file: string, index: number, idKey: string): T {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const id =
    raw && typeof raw === 'object' && typeof (raw as Record<string, unknown>)[idKey] === 'string'
      ? ((raw as Record<string, unknown>)[idKey] as string)
      : `#${index + 1}`;
  const { field, message } = firstIssue(parsed.error);
  throw new DatasetError(file, message, id, field);
}

/** Editors on Windows save JSON with a byte-order mark, which JSON.parse rejects. */
export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

export function finish(kind: Dataset['kind'], source: string, tasks: Task[]): Dataset {
  const byId = new Map<string, Task>();
  for (const t of tasks) {
    if (byId.has(t.id)) throw new DatasetError(source, 'duplicate task ID', t.id, 'ID');
    byId.set(t.id, t);
  }
  return { kind, source, tasks, byId };
}

/** Every regular file below `dir`, as sorted `/`-separated paths relative to `root` (Finder litter skipped). */
export function filesBelow(root: string, dir: string = root, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const abs = path.join(dir, e.name);
    if (e.isDirectory()) filesBelow(root, abs, out);
    else if (e.isFile() && e.name !== '.DS_Store') out.push(path.relative(root, abs).split(path.sep).join('/'));
  }
  return out.sort();
}
