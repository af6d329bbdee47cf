import { existsSync } from 'node:fs';
import { UserError } from '../core/errors.js';
import { FileError } from '../io/errors.js';
import { readJsonlSync } from '../io/jsonl.js';
import { repairHint } from '../io/repair.js';
import { rewriteJsonlSync, truncateFile } from '../io/write.js';
import { SampleKeyLine, sampleKey } from '../core/sample.js';
import { RecordedSettings } from './settings.js';

export interface ExistingSamples {
  /** Key → the line's error (null for a good sample). */
  done: Map<string, string | null>;
  /** Key → how that sample was made, and its line number. */
  settings: Map<string, { line: number; recorded: RecordedSettings | null }>;
  /** A partly written last line was cut off (the run writing it was killed). */
  droppedPartialLine: boolean;
}

/**
 * Read what an earlier run of the same command wrote. A last line without its newline is a
 * write cut short by a kill: it is removed from the file (its sample is made again, from the
 * response cache). Any other bad line stops the run with the file untouched.
 */
export function readExistingSamples(file: string): ExistingSamples {
  const done = new Map<string, string | null>();
  const lineOf = new Map<string, number>();
  const settings: ExistingSamples['settings'] = new Map();
  if (!existsSync(file)) return { done, settings, droppedPartialLine: false };
  let tornAt: number | null = null;
  try {
    for (const entry of readJsonlSync(file, SampleKeyLine, { tornTail: 'report' })) {
      if (entry.kind === 'torn') {
        tornAt = entry.start;
        break;
      }
      const s = entry.value;
      const key = sampleKey(s.task_id, s.experiment, s.model, s.sample_index);
      const first = lineOf.get(key);
      // Two lines for one sample would be two verdicts; generate never writes that, so say so.
      if (first !== undefined) {
        throw new UserError(`${file}:${entry.line}: repeats sample ${s.task_id} #${s.sample_index} of ${s.model} / ${s.experiment} (first at line ${first}); the file was left as it is: remove one of the two lines, or ${repairHint(file)}`);
      }
      lineOf.set(key, entry.line);
      done.set(key, s.error);
      const recorded = RecordedSettings.safeParse(s);
      settings.set(key, { line: entry.line, recorded: recorded.success ? recorded.data : null });
    }
  } catch (e) {
    if (e instanceof FileError && e.line !== undefined) {
      throw new FileError(`${e.message}; is --out a samples file of generate? It was left as it is; ${repairHint(file)}`, file, e.line);
    }
    throw e;
  }
  if (tornAt !== null) truncateFile(file, tornAt);
  return { done, settings, droppedPartialLine: tornAt !== null };
}

/**
 * Remove the lines whose samples failed and `shouldRetry` accepts, so they can be made again
 * without a sample appearing twice. The file is replaced in one rename.
 */
export function dropFailedLines(file: string, shouldRetry: (key: string) => boolean): number {
  if (!existsSync(file)) return 0;
  const { dropped } = rewriteJsonlSync(
    file,
    SampleKeyLine,
    (s) => !(s.error !== null && shouldRetry(sampleKey(s.task_id, s.experiment, s.model, s.sample_index))),
  );
  return dropped;
}
