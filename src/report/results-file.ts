import { readJsonl } from '../io/jsonl.js';
import { DatasetError, UserError } from '../core/errors.js';
import { FileError } from '../io/errors.js';
import { repairHint } from '../io/repair.js';
import { ResultLine } from '../core/result.js';
import type { Dataset } from '../core/task.js';
import { fallbackModel, ResultsTally, type ResultSet, type TallyOptions } from '../score/tally.js';

/**
 * Stream results files line by line into the score layer's tallies. Every line is checked
 * against the results contract; the first bad one stops the read with its file and line.
 */
export async function readResults(files: readonly string[], dataset: Dataset, opts: TallyOptions = {}): Promise<ResultSet> {
  if (!files.length) throw new UserError('no results files given');
  const tally = new ResultsTally(dataset, opts);
  for (const file of files) {
    const origin = { file, fallbackModel: fallbackModel(file) };
    try {
      for await (const entry of readJsonl(file, ResultLine, { tornTail: 'parse' })) {
        tally.add(entry.value, { ...origin, where: `${file}:${entry.line}` });
      }
    } catch (e) {
      throw withRepairHint(e, file);
    }
  }
  if (!tally.size) throw new UserError(`no result lines in ${files.join(', ')}`);
  return tally.finish();
}

/**
 * A bad line (damaged, of another shape, a repeated sample, `passed` against `status`) stops
 * the read; the message says how to keep the good lines. Lines `repair` cannot judge without
 * the dataset (a task outside it, labels) get no hint.
 */
function withRepairHint(e: unknown, file: string): unknown {
  if (e instanceof FileError && e.line !== undefined) return new FileError(`${e.message}; ${repairHint(file)}`, file, e.line);
  if (e instanceof DatasetError && (e.field === 'passed' || e.field === 'sample_index')) return new UserError(`${e.message}; ${repairHint(file)}`);
  return e;
}
