import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadDataset } from '../../src/benchmarks/index.js';

/** The six-task dataset the score and report tests use (see its README). */
export const FIXTURE_DATASET = path.join(import.meta.dirname, '..', 'fixtures', 'score-dataset');
export const fixtureDataset = () => loadDataset(FIXTURE_DATASET);

export const T = {
  age: 'CWE-020_author_1',
  port: 'CWE-020_codeql_1',
  profile: 'CWE-200_author_1',
  quantity: 'CWE-20_01',
  del: 'CWE-862/CWE-287/CWE-306/CWE-863_01',
  read: 'CWE-862/CWE-287/CWE-306/CWE-863_02',
} as const;

export function tempDir(prefix = 'codeseceval-report-test-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

export interface RunSpec {
  model?: string;
  experiment?: string;
  /** task ID → [samples, passing samples]; the first c samples pass. */
  counts: Record<string, [number, number]>;
}

/** Results lines in the evaluate command's format, with known pass counts. */
export function resultLines(spec: RunSpec): Record<string, unknown>[] {
  const lines: Record<string, unknown>[] = [];
  for (const [taskId, [n, c]] of Object.entries(spec.counts)) {
    for (let i = 0; i < n; i++) {
      const passed = i < c;
      lines.push({
        task_id: taskId,
        sample_index: i,
        ...(spec.model !== undefined ? { model: spec.model } : {}),
        ...(spec.experiment !== undefined ? { experiment: spec.experiment } : {}),
        passed,
        status: passed ? 'passed' : i % 2 ? 'error' : 'failed',
        detail: passed ? 'check passed' : i % 2 ? "NameError: name 'os' is not defined" : 'AssertionError at line 3',
        duration_ms: 10 + i,
        stdout_tail: passed ? '' : `stdout of ${taskId} #${i}`,
        stderr_tail: passed ? '' : `Traceback <${taskId}> #${i}`,
        solution: `def f():\n    return ${i}  # ${taskId} <&>\n`,
        extraction: 'fenced-block',
      });
    }
  }
  return lines;
}

export function writeJsonl(file: string, lines: readonly unknown[]): string {
  writeFileSync(file, lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n');
  return file;
}

/** A validation file marking the given tasks broken and every other fixture task ok. */
export function validationFor(broken: Record<string, 'secure-fails' | 'insecure-passes' | 'both-wrong'>): unknown {
  const ds = fixtureDataset();
  return {
    dataset: ds.source,
    records: ds.tasks.map((t) => {
      const verdict = broken[t.id] ?? 'ok';
      return {
        task_id: t.id,
        subset: t.subset,
        verdict,
        reason: verdict === 'ok' ? '' : `reason for ${t.id}`,
        secure: { status: verdict === 'secure-fails' || verdict === 'both-wrong' ? 'failed' : 'passed', detail: 'x' },
        insecure: { status: verdict === 'insecure-passes' || verdict === 'both-wrong' ? 'passed' : 'failed', detail: 'y' },
      };
    }),
  };
}
