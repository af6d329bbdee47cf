import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { DatasetError } from '../../core/errors.js';
import type { Dataset, Task } from '../../core/task.js';
import { readJsonlSync } from '../../io/jsonl.js';
import { normaliseCwe } from '../../util/cwe.js';
import { finish, parseRecord } from '../load-shared.js';

export const SALLM_FOLDER = 'PythonDataset';
export const SALLM_RECORDS = 'dataset.jsonl';
export const SALLM_TECHNIQUES = ['Assertion', 'Tainted', 'Matching'] as const;

/** One line of PythonDataset/dataset.jsonl, as published upstream. */
export const SallmRecord = z.object({
  id: z.string().regex(/^[A-Za-z]+_[A-Za-z]+_[A-Za-z_][A-Za-z0-9_]*\.py$/, 'must be <Technique>_<Source>_<module>.py'),
  technique: z.enum(SALLM_TECHNIQUES),
  source: z.string().regex(/^[A-Za-z]+$/, 'must be one word'),
  prompt: z.string().min(1),
  insecure_code: z.string().min(1),
});
export type SallmRecord = z.infer<typeof SallmRecord>;

/**
 * The folder holding dataset.jsonl and the technique folders: PythonDataset/ below the folder
 * given (the repository's layout), or the folder itself.
 */
export function sallmBase(abs: string): string | null {
  if (!statSync(abs).isDirectory()) return null;
  if (existsSync(path.join(abs, SALLM_FOLDER, SALLM_RECORDS))) return path.join(abs, SALLM_FOLDER);
  const own = existsSync(path.join(abs, SALLM_RECORDS)) && SALLM_TECHNIQUES.some((t) => existsSync(path.join(abs, t)));
  return own ? abs : null;
}

export function isSallmFolder(abs: string): boolean {
  return sallmBase(abs) !== null;
}

/** The last function the prompt defines: what the model is asked to write. */
export function lastDefinedFunction(code: string): string | null {
  let name: string | null = null;
  for (const m of code.matchAll(/^[ \t]*(?:async[ \t]+)?def[ \t]+([A-Za-z_][A-Za-z0-9_]*)[ \t]*\(/gm)) name = m[1]!;
  return name;
}

/** The unittest file beside a module: `test_<module>.py`. */
export function sallmTestFile(module: string): string {
  return `test_${module}.py`;
}

/** Every record's module, by task folder, as the last load found them (a record without a test file too). */
export const RECORD_MODULES = new Map<string, Set<string>>();

export function loadSallm(root: string): Dataset {
  const base = sallmBase(root) ?? path.join(root, SALLM_FOLDER);
  const file = path.join(base, SALLM_RECORDS);
  const tasks: Task[] = [];
  const untestable: { id: string; reason: string }[] = [];
  for (const { line, value: raw } of readJsonlSync(file, z.unknown())) {
    const where = `${file}:${line}`;
    const r = parseRecord(SallmRecord, raw, where, line - 1, 'id');
    const id = r.id.slice(0, -'.py'.length);
    const prefix = `${r.technique}_${r.source}_`;
    if (!id.startsWith(prefix)) throw new DatasetError(where, `id does not start with "${prefix}"`, r.id, 'id');
    const module = id.slice(prefix.length);
    const dir = path.join(base, r.technique, r.source);
    let known = RECORD_MODULES.get(dir);
    if (!known) RECORD_MODULES.set(dir, (known = new Set()));
    known.add(module);
    const testPath = path.join(dir, sallmTestFile(module));
    if (!existsSync(testPath)) {
      untestable.push({ id, reason: `no test file ${path.relative(root, testPath)}` });
      continue;
    }
    const entryPoint = lastDefinedFunction(r.prompt) ?? lastDefinedFunction(r.insecure_code);
    if (!entryPoint) throw new DatasetError(where, 'the prompt defines no function', r.id, 'prompt');
    const cwe = /cwe0*(\d+)/i.exec(module);
    const cwes = cwe ? [normaliseCwe(`CWE-${cwe[1]}`)] : [];
    tasks.push({
      id,
      subset: r.technique,
      cwes,
      cweGroup: cwes[0] ?? null,
      problem: r.prompt,
      // SALLM publishes only the insecure module: there is no secure reference.
      secureCode: '',
      insecureCode: r.insecure_code,
      test: readFileSync(testPath, 'utf8'),
      entryPoint,
      vulnAwareProblem: null,
      insecureCodeExplanation: null,
      fixtureDir: dir,
      fixtureName: `${r.technique}_${r.source}`,
      module,
      origin: r.source,
    });
  }
  if (!tasks.length && !untestable.length) throw new DatasetError(file, 'no records');
  return { ...finish('sallm', root, tasks), untestable };
}

/**
 * The files of a task folder that belong to no task in particular (assets/, templates/,
 * databases): every task's module, test, pip pins and Dockerfile are left out, so a sample
 * sees its own module only, as upstream's per-task image does.
 */
export function isSallmTaskFile(name: string, modules: ReadonlySet<string>): boolean {
  if (name.endsWith('_Dockerfile') || name.endsWith('_requirements.txt')) return true;
  if (!name.endsWith('.py')) return false;
  const stem = name.slice(0, -3);
  return modules.has(stem) || (stem.startsWith('test_') && modules.has(stem.slice(5)));
}

/** The modules of a task folder: every record's, and every `<name>.py` with a test, pins or a Dockerfile. */
export function modulesIn(dir: string): Set<string> {
  const names = readdirSync(dir);
  const set = new Set<string>(RECORD_MODULES.get(dir));
  for (const n of names) {
    if (n.startsWith('test_') && n.endsWith('.py')) set.add(n.slice(5, -3));
    else if (n.endsWith('_Dockerfile')) set.add(n.slice(0, -'_Dockerfile'.length));
    else if (n.endsWith('_requirements.txt')) set.add(n.slice(0, -'_requirements.txt'.length));
  }
  return set;
}
