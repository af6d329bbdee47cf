import { closeSync, existsSync, openSync, readFileSync, truncateSync, writeSync } from 'node:fs';
import type { Dataset } from '../dataset/types.js';
import { Engine, type EngineOptions } from '../sandbox/engine.js';
import { autoTimeouts } from '../sandbox/timeouts.js';
import type { ExecResult, SoftOutcome, Status } from '../sandbox/types.js';
import { STATUSES } from '../sandbox/types.js';
import { ResultLine } from './records.js';
import { readSamples, type LoadedSample } from './samples.js';

export interface EvaluateOptions extends EngineOptions {
  samplesFile: string;
  outFile: string;
  dataset: Dataset;
  /** Seconds, or 'auto' for per-task limits from the Secure Code's runtime. */
  timeout?: number | 'auto';
  soft?: boolean;
  /** Start over instead of keeping results already in outFile. */
  fresh?: boolean;
  onProgress?: (event: EvaluateProgress) => void;
}

export type EvaluateProgress =
  | { phase: 'calibrate'; done: number; total: number }
  | { phase: 'evaluate'; done: number; total: number; resumed: number };

export interface EvaluateSummary {
  total: number;
  resumed: number;
  counts: Record<Status, number>;
  outFile: string;
}

/**
 * samples.jsonl → results.jsonl: one result line per sample line, in input order, with the
 * sample's own fields kept. Results are appended as soon as every earlier line is done, so
 * an interrupted run leaves a valid prefix that the next run keeps.
 */
export async function evaluateSamples(opts: EvaluateOptions): Promise<EvaluateSummary> {
  const samples = await readSamples(opts.samplesFile, opts.dataset);
  const prefix = opts.fresh ? { count: 0, bytes: 0 } : reusablePrefix(opts.outFile, samples, opts.soft ?? false);
  const resumed = prefix.count;
  const counts = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<Status, number>;
  // Keep the reusable prefix and drop anything after it (a torn last line, or results
  // of other samples), then append.
  if (resumed > 0) truncateSync(opts.outFile, prefix.bytes);
  const fd = openSync(opts.outFile, resumed > 0 ? 'a' : 'w');
  try {
    const todo = samples.slice(resumed);
    if (!todo.length) return { total: samples.length, resumed, counts, outFile: opts.outFile };

    const engine = new Engine(opts);
    try {
      let limits: Map<string, number> | undefined;
      if (opts.timeout === 'auto') {
        limits = await autoTimeouts(
          todo.map((s) => s.task),
          engine,
          (done, total) => opts.onProgress?.({ phase: 'calibrate', done, total }),
        );
      }
      const fixed = typeof opts.timeout === 'number' ? opts.timeout : undefined;
      const pending = new Map<number, string>();
      const normal = new Map<number, ExecResult>();
      const soft = new Map<number, ExecResult>();
      let nextToWrite = 0;
      let done = 0;
      // Soft mode adds a second, soft-assert run of each sample; the verdict (and pass@k)
      // always comes from the normal run.
      const jobs = todo.map((s) => ({ task: s.task, program: s.program, timeoutSec: limits?.get(s.task.id) ?? fixed }));
      const perSample = opts.soft ? 2 : 1;
      const allJobs = opts.soft ? jobs.flatMap((j) => [j, { ...j, soft: true }]) : jobs;
      await engine.run(allJobs, (k, result) => {
        const i = Math.floor(k / perSample);
        (k % perSample === 0 ? normal : soft).set(i, result);
        const r = normal.get(i);
        if (!r || (opts.soft && !soft.has(i))) return;
        counts[r.status]++;
        // With --soft every line carries `soft`: null when the soft run gave no outcome
        // (syntax error, timeout, crash), so readers never mistake it for a missing field.
        const line = resultLine(todo[i]!, r, opts.soft ? (soft.get(i)?.soft ?? null) : undefined);
        pending.set(i, `${JSON.stringify(line)}\n`);
        while (pending.has(nextToWrite)) {
          writeSync(fd, pending.get(nextToWrite)!);
          pending.delete(nextToWrite);
          nextToWrite++;
        }
        opts.onProgress?.({ phase: 'evaluate', done: ++done, total: todo.length, resumed });
      });
    } finally {
      engine.close();
    }
    return { total: samples.length, resumed, counts, outFile: opts.outFile };
  } finally {
    closeSync(fd);
  }
}

export function resultLine(sample: LoadedSample, r: ExecResult, soft?: SoftOutcome | null): ResultLine {
  return {
    ...sample.fields,
    sample_index: sample.sampleIndex,
    passed: r.status === 'passed',
    status: r.status,
    detail: r.detail,
    duration_ms: r.durationMs,
    stdout_tail: r.stdoutTail,
    stderr_tail: r.stderrTail,
    ...(soft !== undefined ? { soft } : {}),
  };
}

/**
 * How many leading results in an existing out file belong, in order, to these samples, and
 * how many bytes they take.
 */
function reusablePrefix(outFile: string, samples: LoadedSample[], soft: boolean): { count: number; bytes: number } {
  if (!existsSync(outFile)) return { count: 0, bytes: 0 };
  const text = readFileSync(outFile, 'utf8');
  let count = 0;
  let pos = 0;
  while (count < samples.length) {
    const end = text.indexOf('\n', pos);
    if (end < 0) break; // a torn last line is redone
    const r = parseResult(text.slice(pos, end));
    const sample = samples[count]!;
    const same =
      r !== undefined &&
      r.task_id === sample.fields.task_id &&
      r.sample_index === sample.sampleIndex &&
      r['solution'] === sample.fields.solution &&
      r['completion'] === sample.fields.completion &&
      // A soft run asked for now cannot reuse a result made without one.
      (!soft || 'soft' in r);
    if (!same) break;
    count++;
    pos = end + 1;
  }
  return { count, bytes: Buffer.byteLength(text.slice(0, pos)) };
}

function parseResult(line: string): ResultLine | undefined {
  try {
    const parsed = ResultLine.safeParse(JSON.parse(line));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
