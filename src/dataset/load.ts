import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { DatasetError } from '../util/errors.js';
import { cweGroupOfTaskId, cwesOfTaskId, fixtureNameOf } from './cwe.js';
import { AnnotationRecord, CodeSecEvalRecord, HumanEvalRecord, firstIssue } from './schema.js';
import type { Dataset, Subset, Task } from './types.js';

export const CODESECEVAL_SUBSETS = ['SecEvalBase', 'SecEvalPlus'] as const;
export const ANNOTATION_FILE = 'Vulnerability-Aware Problem_Insecure Code Explanation_Annotation.json';

/**
 * Load a dataset from a folder or file. A folder holding SecEvalBase/ and SecEvalPlus/ is the
 * CodeSecEval layout; a .jsonl file (or a folder with exactly one) is the HumanEval layout.
 */
export function loadDataset(location: string): Dataset {
  const abs = path.resolve(location);
  if (!existsSync(abs)) throw new DatasetError(abs, 'no such file or folder');
  if (statSync(abs).isFile()) return loadHumanEval(abs);
  if (CODESECEVAL_SUBSETS.some((s) => existsSync(path.join(abs, s)))) return loadCodeSecEval(abs);
  const jsonl = readdirSync(abs).filter((f) => f.endsWith('.jsonl'));
  if (jsonl.length === 1) return loadHumanEval(path.join(abs, jsonl[0]!));
  throw new DatasetError(
    abs,
    'not a dataset: expected SecEvalBase/ and SecEvalPlus/ (CodeSecEval) or one HumanEval-format .jsonl file',
  );
}

function readJsonArray(file: string): unknown[] {
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

function parseRecord<T>(schema: z.ZodType<T>, raw: unknown, file: string, index: number, idKey: string): T {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const id =
    raw && typeof raw === 'object' && typeof (raw as Record<string, unknown>)[idKey] === 'string'
      ? ((raw as Record<string, unknown>)[idKey] as string)
      : `#${index + 1}`;
  const { field, message } = firstIssue(parsed.error);
  throw new DatasetError(file, message, id, field);
}

function loadCodeSecEval(root: string): Dataset {
  const tasks: Task[] = [];
  for (const subset of CODESECEVAL_SUBSETS) {
    const dir = path.join(root, subset);
    const file = path.join(dir, `${subset}.json`);
    if (!existsSync(file)) throw new DatasetError(file, 'missing subset file');
    const records = readJsonArray(file).map((r, i) => parseRecord(CodeSecEvalRecord, r, file, i, 'ID'));

    const annFile = path.join(dir, ANNOTATION_FILE);
    if (!existsSync(annFile)) throw new DatasetError(annFile, 'missing annotation file');
    const annotations = new Map<string, AnnotationRecord>();
    readJsonArray(annFile).forEach((r, i) => {
      const a = parseRecord(AnnotationRecord, r, annFile, i, 'ID');
      if (annotations.has(a.ID)) throw new DatasetError(annFile, 'duplicate ID', a.ID, 'ID');
      annotations.set(a.ID, a);
    });

    const seen = new Set<string>();
    for (const r of records) {
      if (seen.has(r.ID)) throw new DatasetError(file, 'duplicate ID', r.ID, 'ID');
      seen.add(r.ID);
      const ann = annotations.get(r.ID);
      if (!ann) throw new DatasetError(annFile, `no annotation for record ${r.ID} of ${subset}.json`, r.ID, 'ID');
      const cwes = cwesOfTaskId(r.ID);
      if (!cwes.length) throw new DatasetError(file, 'ID names no CWE (expected CWE-<number>...)', r.ID, 'ID');
      const fixtureName = fixtureNameOf(r.ID);
      const fixtureDir = path.join(dir, 'Test', fixtureName);
      tasks.push({
        id: r.ID,
        subset: subset as Subset,
        cwes,
        cweGroup: cweGroupOfTaskId(r.ID),
        problem: r.Problem,
        secureCode: r['Secure Code'],
        insecureCode: r['Insecure Code'],
        test: r.Test,
        entryPoint: r.Entry_Point,
        vulnAwareProblem: ann['Vulnerability-aware Information'],
        insecureCodeExplanation: ann['Insecure Code Explanation'],
        fixtureDir: existsSync(fixtureDir) ? fixtureDir : null,
        fixtureName,
      });
    }
    for (const id of annotations.keys()) {
      if (!seen.has(id)) throw new DatasetError(annFile, `annotation has no record in ${subset}.json`, id, 'ID');
    }
  }
  return finish('codeseceval', root, tasks);
}

function loadHumanEval(file: string): Dataset {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new DatasetError(file, `cannot read: ${(e as Error).message}`);
  }
  const tasks: Task[] = [];
  const lineOfId = new Map<string, number>();
  stripBom(text).split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch (e) {
      throw new DatasetError(`${file}:${i + 1}`, `invalid JSON: ${(e as Error).message}`);
    }
    const r = parseRecord(HumanEvalRecord, raw, `${file}:${i + 1}`, i, 'task_id');
    const earlier = lineOfId.get(r.task_id);
    if (earlier !== undefined) {
      throw new DatasetError(`${file}:${i + 1}`, `duplicate task ID (first on line ${earlier})`, r.task_id, 'task_id');
    }
    lineOfId.set(r.task_id, i + 1);
    tasks.push({
      id: r.task_id,
      subset: 'HumanEval',
      cwes: [],
      cweGroup: null,
      problem: r.prompt,
      secureCode: r.prompt + r.canonical_solution,
      insecureCode: null,
      test: r.test,
      entryPoint: r.entry_point,
      vulnAwareProblem: null,
      insecureCodeExplanation: null,
      fixtureDir: null,
      fixtureName: fixtureNameOf(r.task_id),
    });
  });
  if (!tasks.length) throw new DatasetError(file, 'no records');
  return finish('humaneval', file, tasks);
}

/** Editors on Windows save JSON with a byte-order mark, which JSON.parse rejects. */
function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function finish(kind: Dataset['kind'], source: string, tasks: Task[]): Dataset {
  const byId = new Map<string, Task>();
  for (const t of tasks) {
    if (byId.has(t.id)) throw new DatasetError(source, 'duplicate task ID', t.id, 'ID');
    byId.set(t.id, t);
  }
  return { kind, source, tasks, byId };
}
