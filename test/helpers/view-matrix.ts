import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Hand-written results of many result sets (model x experiment) for the viewer's matrix and
 * picker tests. Which sample passes follows a fixed pattern, so every count is known: model i
 * passes sample s of the j-th task when (i + j + s) % 3 === 0.
 */
export function passes(model: number, task: number, sample: number): boolean {
  return (model + task + sample) % 3 === 0;
}

export interface MatrixLine {
  task_id: string;
  sample_index: number;
  model: string;
  experiment: string;
  solution: string;
  passed: boolean;
  status: 'passed' | 'failed' | 'error';
  detail: string;
  duration_ms: number;
  stderr_tail?: string;
  usage?: { input_tokens: number; output_tokens: number };
  latency_ms?: number;
  cached?: boolean;
  cases?: { name: string; role: 'functionality' | 'security'; outcome: 'passed' | 'failed'; detail?: string }[];
}

/** A run folder holding `models` (indexes into the pattern), `n` samples of each task. */
export function writeMatrixRun(dir: string, models: { index: number; name: string }[], tasks: readonly string[], n: number, extra?: (line: MatrixLine) => MatrixLine): void {
  mkdirSync(dir, { recursive: true });
  const lines: string[] = [];
  for (const m of models) {
    tasks.forEach((task, j) => {
      for (let s = 0; s < n; s++) {
        const ok = passes(m.index, j, s);
        const line: MatrixLine = {
          task_id: task,
          sample_index: s,
          model: m.name,
          experiment: 'direct-generation',
          solution: `def f():\n    return ${m.index * 100 + j * 10 + s}\n`,
          passed: ok,
          status: ok ? 'passed' : 'failed',
          detail: ok ? 'check passed' : 'AssertionError at test line 2',
          duration_ms: 5,
        };
        lines.push(JSON.stringify(extra ? extra(line) : line));
      }
    });
  }
  writeFileSync(path.join(dir, 'results.jsonl'), lines.join('\n') + '\n');
}
