import { FileError } from '../io/errors.js';
import { readJsonl } from '../io/jsonl.js';
import { repairHint } from '../io/repair.js';
import { checkInputFile } from '../io/paths.js';
import { sampleProgram } from '../benchmarks/index.js';
import { UserError } from '../core/errors.js';
import { SampleLine } from '../core/sample.js';
import type { Dataset, Task } from '../core/task.js';

/** A sample ready to run: its original fields plus what the executor needs. */
export interface LoadedSample {
  /** 1-based line number in the samples file. */
  line: number;
  fields: SampleLine;
  task: Task;
  sampleIndex: number;
  program: string;
}

/** What identifies a sample in a results file; readers (score, report, view) key lines the same way. */
export function resultKey(fields: { task_id: string; model?: unknown; experiment?: unknown }, sampleIndex: number): string {
  return JSON.stringify([fields.task_id, fields.model ?? null, fields.experiment ?? null, sampleIndex]);
}

/**
 * Read and check a whole samples file before anything runs, so a bad line is reported (by
 * number) before any time is spent. The benchmark assembles the program: `solution` is a
 * complete program; `completion` is appended to the task's Problem, as in HumanEval.
 */
export async function readSamples(file: string, dataset: Dataset, flag = '--samples'): Promise<LoadedSample[]> {
  checkInputFile(file, flag);
  const out: LoadedSample[] = [];
  const counters = new Map<string, number>();
  const firstLine = new Map<string, number>();
  try {
  for await (const { line, value: fields } of readJsonl(file, SampleLine)) {
    const task = dataset.byId.get(fields.task_id);
    if (!task) throw new UserError(`${file}:${line}: task_id: unknown task "${fields.task_id}" (not in ${dataset.source})`);
    // Samples from `generate` carry their index (per model and experiment); others are counted.
    const counted = counters.get(fields.task_id) ?? 0;
    counters.set(fields.task_id, counted + 1);
    const given = fields['sample_index'];
    const sampleIndex = typeof given === 'number' && Number.isInteger(given) && given >= 0 ? given : counted;
    // Two lines for one sample would give two verdicts that `report` and `view` then refuse.
    const key = resultKey(fields, sampleIndex);
    const first = firstLine.get(key);
    if (first !== undefined) {
      throw new UserError(`${file}:${line}: repeats sample ${fields.task_id} #${sampleIndex}${fields.model ? ` of ${String(fields.model)}` : ''}${fields.experiment ? ` / ${String(fields.experiment)}` : ''} (first at line ${first}); remove one of the two lines, or ${repairHint(file)}`);
    }
    firstLine.set(key, line);
    out.push({ line, fields, task, sampleIndex, program: sampleProgram(task, fields) });
  }
  } catch (e) {
    // A damaged line: offer the way out that keeps the good ones.
    if (e instanceof FileError && e.line !== undefined) throw new FileError(`${e.message}; ${repairHint(file)}`, file, e.line);
    throw e;
  }
  // An empty results file would look like a finished run that `report` then refuses.
  if (!out.length) throw new UserError(`${file}: no samples in the file; nothing to evaluate (was \`generate\` run, or did it fail?)`);
  return out;
}
