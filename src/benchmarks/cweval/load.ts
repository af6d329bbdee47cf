import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { DatasetError } from '../../core/errors.js';
import type { Dataset, Task } from '../../core/task.js';
import { normaliseCwe } from '../../util/cwe.js';
import { finish } from '../load-shared.js';

export const CWEVAL_PY_DIR = path.join('benchmark', 'core', 'py');
export const SOLUTION_MARKER = '# BEGIN SOLUTION';
const TASK_FILE = /^(cwe_(\d+)_(\d+))_task\.py$/;

/**
 * The folder holding the `cwe_NNN_i_task.py` files: the repository's top (benchmark/core/py/
 * below it), or that folder itself.
 */
export function cwevalTaskDir(abs: string): string | null {
  if (!statSync(abs).isDirectory()) return null;
  for (const dir of [path.join(abs, CWEVAL_PY_DIR), abs]) {
    if (existsSync(dir) && statSync(dir).isDirectory() && readdirSync(dir).some((f) => TASK_FILE.test(f))) return dir;
  }
  return null;
}

/** The last function the prompt defines: what the model writes. */
function lastDefinedFunction(code: string): string | null {
  let name: string | null = null;
  for (const m of code.matchAll(/^(?:async[ \t]+)?def[ \t]+([A-Za-z_][A-Za-z0-9_]*)[ \t]*\(/gm)) name = m[1]!;
  return name;
}

export function cwevalTestFile(module: string): string {
  return `${module.replace(/_task$/, '')}_test.py`;
}

export function loadCweval(root: string): Dataset {
  const dir = cwevalTaskDir(root);
  if (!dir) throw new DatasetError(root, `no cwe_NNN_i_task.py files in ${CWEVAL_PY_DIR} or the folder itself`);
  const tasks: Task[] = [];
  const untestable: { id: string; reason: string }[] = [];
  for (const name of readdirSync(dir).sort()) {
    const m = TASK_FILE.exec(name);
    if (!m) continue;
    const file = path.join(dir, name);
    const id = m[1]!;
    const module = `${id}_task`;
    const text = readFileSync(file, 'utf8');
    const at = text.split('\n').findIndex((l) => l.trim() === SOLUTION_MARKER);
    if (at < 0) throw new DatasetError(file, `no "${SOLUTION_MARKER}" line: cannot tell the prompt from the reference solution`, id);
    const problem = `${text.split('\n').slice(0, at).join('\n')}\n`;
    const entryPoint = lastDefinedFunction(problem);
    if (!entryPoint) throw new DatasetError(file, `no function is defined above "${SOLUTION_MARKER}"`, id);
    const testPath = path.join(dir, cwevalTestFile(module));
    if (!existsSync(testPath)) {
      untestable.push({ id, reason: `no test file ${path.basename(testPath)}` });
      continue;
    }
    const cwe = normaliseCwe(`CWE-${Number(m[2])}`);
    tasks.push({
      id,
      subset: 'CWEval',
      cwes: [cwe],
      cweGroup: cwe,
      problem,
      // The whole task file: the prompt, the marker comment and the reference solution.
      secureCode: text,
      insecureCode: null,
      test: readFileSync(testPath, 'utf8'),
      entryPoint,
      vulnAwareProblem: null,
      insecureCodeExplanation: null,
      fixtureDir: null,
      fixtureName: id,
      module,
    });
  }
  if (!tasks.length && !untestable.length) throw new DatasetError(dir, 'no tasks');
  return { ...finish('cweval', root, tasks), untestable };
}
