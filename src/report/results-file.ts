import { readJsonl } from '../io/jsonl.js';
import { UserError } from '../core/errors.js';
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
    for await (const entry of readJsonl(file, ResultLine, { tornTail: 'parse' })) {
      tally.add(entry.value, { ...origin, where: `${file}:${entry.line}` });
    }
  }
  if (!tally.size) throw new UserError(`no result lines in ${files.join(', ')}`);
  return tally.finish();
}
