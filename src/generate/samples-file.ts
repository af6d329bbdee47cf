import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { firstIssue } from '../dataset/schema.js';
import { UserError } from '../util/errors.js';
import { EXPERIMENTS } from './experiments.js';

const PromptRecord = z.discriminatedUnion('style', [
  z.object({ style: z.literal('chat'), system: z.string().nullable(), user: z.string() }),
  z.object({ style: z.literal('completion'), text: z.string() }),
]);

/**
 * One line of the samples file `generate` writes: `evaluate`'s input. `solution` is always a
 * complete program ("" when the request failed, with `error` saying why).
 */
export const GeneratedSample = z.object({
  task_id: z.string().min(1),
  experiment: z.enum(EXPERIMENTS),
  model: z.string().min(1),
  sample_index: z.number().int().nonnegative(),
  prompt_hash: z.string(),
  prompt: PromptRecord,
  template: z.string(),
  raw: z.string(),
  solution: z.string(),
  extraction: z.string(),
  finish_reason: z.string().nullable(),
  usage: z.object({ input_tokens: z.number(), output_tokens: z.number() }).nullable(),
  latency_ms: z.number().nonnegative(),
  cached: z.boolean(),
  params: z.object({
    temperature: z.number().nullable(),
    top_p: z.number().nullable(),
    max_tokens: z.number().int().positive(),
    seed: z.number().int().nullable(),
    stop: z.array(z.string()).nullable(),
  }),
  error: z.string().nullable(),
  created_at: z.string(),
});
export type GeneratedSample = z.infer<typeof GeneratedSample>;

/** What resuming needs from a line already written; other fields may differ between versions. */
const DoneLine = z.looseObject({
  task_id: z.string().min(1),
  experiment: z.string().min(1),
  model: z.string().min(1),
  sample_index: z.number().int().nonnegative(),
  error: z.string().nullable(),
});

export function sampleKey(taskId: string, experiment: string, model: string, sampleIndex: number): string {
  return JSON.stringify([taskId, experiment, model, sampleIndex]);
}

export interface ExistingSamples {
  /** Key → the line's error (null for a good sample). */
  done: Map<string, string | null>;
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
  if (!existsSync(file)) return { done, droppedPartialLine: false };
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (e) {
    throw new UserError(`--out ${file}: cannot read: ${(e as Error).message}`);
  }
  const lastNewline = buf.lastIndexOf(0x0a);
  const completeLength = lastNewline + 1;
  const text = buf.subarray(0, completeLength).toString('utf8');
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    const where = `${file}:${i + 1}`;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (e) {
      throw new UserError(`${where}: invalid JSON (${(e as Error).message}); is --out a samples file? It was left as it is`);
    }
    const parsed = DoneLine.safeParse(json);
    if (!parsed.success) {
      const { field, message } = firstIssue(parsed.error);
      throw new UserError(`${where}: field "${field}": ${message}; is --out a samples file of generate? It was left as it is`);
    }
    const s = parsed.data;
    done.set(sampleKey(s.task_id, s.experiment, s.model, s.sample_index), s.error);
  });
  const droppedPartialLine = completeLength < buf.length;
  if (droppedPartialLine) truncateSync(file, completeLength);
  return { done, droppedPartialLine };
}

/**
 * Remove the lines whose samples failed and `shouldRetry` accepts, so they can be made again
 * without a sample appearing twice. The file is replaced in one rename.
 */
export function dropFailedLines(file: string, shouldRetry: (key: string) => boolean): number {
  if (!existsSync(file)) return 0;
  const lines = readFileSync(file, 'utf8').split('\n');
  let dropped = 0;
  const kept = lines.filter((line) => {
    if (!line.trim()) return false;
    const parsed = DoneLine.safeParse(JSON.parse(line));
    if (!parsed.success) return true;
    const s = parsed.data;
    if (s.error !== null && shouldRetry(sampleKey(s.task_id, s.experiment, s.model, s.sample_index))) {
      dropped++;
      return false;
    }
    return true;
  });
  if (!dropped) return 0;
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, kept.map((l) => `${l}\n`).join(''));
  renameSync(tmp, file);
  return dropped;
}

/**
 * Appends sample lines, one write per line: after a kill at any moment the file holds whole
 * lines plus at most one partial last line, which the next run removes.
 */
export class SampleWriter {
  private fd: number;

  constructor(readonly file: string) {
    mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    try {
      this.fd = openSync(file, 'a');
    } catch (e) {
      throw new UserError(`--out ${file}: cannot open for writing: ${(e as Error).message}`);
    }
  }

  write(sample: GeneratedSample): void {
    const data = Buffer.from(`${JSON.stringify(sample)}\n`, 'utf8');
    let off = 0;
    // writeSync may write less than asked (a full disk, a signal); finish the line or fail.
    while (off < data.length) off += writeSync(this.fd, data, off, data.length - off);
  }

  close(): void {
    closeSync(this.fd);
  }
}
