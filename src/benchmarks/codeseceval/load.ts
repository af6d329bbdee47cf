import { existsSync } from 'node:fs';
import path from 'node:path';
import { DatasetError } from '../../core/errors.js';
import type { Dataset, Subset, Task } from '../../core/task.js';
import { cweGroupOfTaskId, cwesOfTaskId, fixtureNameOf } from '../../util/cwe.js';
import { finish, parseRecord, readJsonArray } from '../load-shared.js';
import { AnnotationRecord, CodeSecEvalRecord } from './schema.js';

export const CODESECEVAL_SUBSETS = ['SecEvalBase', 'SecEvalPlus'] as const;
export const ANNOTATION_FILE = 'Vulnerability-Aware Problem_Insecure Code Explanation_Annotation.json';

/** A folder in the upstream layout: SecEvalBase/ and SecEvalPlus/. */
export function isCodeSecEvalFolder(abs: string): boolean {
  return CODESECEVAL_SUBSETS.some((s) => existsSync(path.join(abs, s)));
}

export function loadCodeSecEval(root: string): Dataset {
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

