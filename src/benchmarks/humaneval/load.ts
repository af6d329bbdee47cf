import { readdirSync, statSync } from 'node:fs';
import { z } from 'zod';
import { readJsonlSync } from '../../io/jsonl.js';
import path from 'node:path';
import { DatasetError } from '../../core/errors.js';
import type { Dataset, Task } from '../../core/task.js';
import { fixtureNameOf } from '../../util/cwe.js';
import { finish, parseRecord } from '../load-shared.js';
import { HumanEvalRecord } from './schema.js';

/** A HumanEval-format .jsonl file, or a folder holding exactly one. */
export function humanEvalFile(abs: string): string | null {
  const st = statSync(abs);
  if (st.isFile()) return abs;
  const jsonl = readdirSync(abs).filter((f) => f.endsWith('.jsonl'));
  return jsonl.length === 1 ? path.join(abs, jsonl[0]!) : null;
}

export function loadHumanEval(file: string): Dataset {
  const tasks: Task[] = [];
  const lineOfId = new Map<string, number>();
  // The project's one JSONL reader does lines, UTF-8 and JSON; records are checked here so
  // that errors name the record as every dataset error does.
  for (const { line, value: raw } of readJsonlSync(file, z.unknown())) {
    const i = line - 1;
    const r = parseRecord(HumanEvalRecord, raw, `${file}:${line}`, i, 'task_id');
    const earlier = lineOfId.get(r.task_id);
    if (earlier !== undefined) {
      throw new DatasetError(`${file}:${line}`, `duplicate task ID (first on line ${earlier})`, r.task_id, 'task_id');
    }
    lineOfId.set(r.task_id, line);
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
  }
  if (!tasks.length) throw new DatasetError(file, 'no records');
  return finish('humaneval', file, tasks);
}

