import { createReadStream, existsSync } from 'node:fs';
import readline from 'node:readline';
import type { Dataset, Task } from '../dataset/types.js';
import { UserError } from '../util/errors.js';
import { SampleLine } from './records.js';

/** A sample ready to run: its original fields plus what the engine needs. */
export interface LoadedSample {
  /** 1-based line number in the samples file. */
  line: number;
  fields: SampleLine;
  task: Task;
  sampleIndex: number;
  program: string;
}

/**
 * Read and check a whole samples file before anything runs, so a bad line is reported (by
 * number) before any time is spent. `completion` is appended to the task's Problem, as in
 * HumanEval; `solution` is a complete program.
 */
export async function readSamples(file: string, dataset: Dataset): Promise<LoadedSample[]> {
  if (!existsSync(file)) throw new UserError(`${file}: no such samples file`);
  const out: LoadedSample[] = [];
  const counters = new Map<string, number>();
  let n = 0;
  const lines = readline.createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  for await (const raw of lines) {
    n++;
    if (!raw.trim()) continue;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (e) {
      throw new UserError(`${file}:${n}: malformed JSON (${(e as Error).message})`);
    }
    const parsed = SampleLine.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue?.path.length ? issue.path.join('.') : '(line)';
      throw new UserError(`${file}:${n}: field "${field}": ${issue?.message ?? 'invalid'}`);
    }
    const fields = parsed.data;
    const task = dataset.byId.get(fields.task_id);
    if (!task) throw new UserError(`${file}:${n}: unknown task_id "${fields.task_id}" (not in ${dataset.source})`);
    // Samples from `generate` carry their index (per model and experiment); others are counted.
    const counted = counters.get(fields.task_id) ?? 0;
    counters.set(fields.task_id, counted + 1);
    const given = fields['sample_index'];
    const sampleIndex = typeof given === 'number' && Number.isInteger(given) && given >= 0 ? given : counted;
    const program = fields.solution ?? task.problem + (fields.completion ?? '');
    out.push({ line: n, fields, task, sampleIndex, program });
  }
  return out;
}
