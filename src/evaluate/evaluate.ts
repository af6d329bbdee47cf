import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import path from 'node:path';
import { InterruptedError, UserError } from '../core/errors.js';
import { acquireLock } from '../io/lock.js';
import { readJsonlSync } from '../io/jsonl.js';
import { checkOutputFile } from '../io/paths.js';
import { repairHint } from '../io/repair.js';
import { JsonlAppender, truncateFile } from '../io/write.js';
import { createExecutor, type EngineOptions } from '../sandbox/index.js';
import { autoTimeouts } from './timeouts.js';
import { readSamples, resultKey, type LoadedSample } from './samples.js';
import type { ExecResult } from '../core/exec.js';
import { ResultLine } from '../core/result.js';
import type { SoftOutcome } from '../core/soft.js';
import { emptyStatusCounts, type Status } from '../core/status.js';
import type { Dataset } from '../core/task.js';
import type { ShardRecord } from '../core/environment.js';
import { inShard, shardFile, shardKey, type Shard } from '../core/shard.js';
import { preloadFor, taskJob } from '../benchmarks/index.js';
import { evaluationEnvironment } from './environment.js';
import { environmentFailureField, type ModuleKnowledge } from './modules.js';

export interface EvaluateOptions extends EngineOptions {
  samplesFile: string;
  outFile: string;
  dataset: Dataset;
  /** Seconds, or 'auto' for per-task limits from the Secure Code's runtime. */
  timeout?: number | 'auto';
  soft?: boolean;
  /** Start over instead of keeping results already in outFile. */
  fresh?: boolean;
  /**
   * Evaluate only the samples whose key falls in this shard, into the shard's own file beside
   * `outFile` (`results.shard-2-of-4.jsonl`), with its own lock and environment record.
   */
  shard?: Shard;
  /** Aborting stops at a sample boundary; finished results are kept, samples cut short are not written. */
  signal?: AbortSignal;
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
  /** Stopped by `signal`: the file holds a valid prefix; running again finishes it. */
  interrupted: boolean;
}

/**
 * samples.jsonl → results.jsonl: one result line per sample line, with the sample's own fields
 * kept. Results are appended as each sample finishes (readers key lines by sample, never by
 * position), so an interrupt loses no finished verdict and the next run redoes only the rest.
 *
 * Nothing already written is lost: every input, flag and the sandbox are checked before the
 * results file is touched; it is locked against a second writer; results of other samples in
 * it are refused unless `fresh`; and a sample cut short by a stop is never written.
 */
export async function evaluateSamples(options: EvaluateOptions): Promise<EvaluateSummary> {
  const all = await readSamples(options.samplesFile, options.dataset);
  const { shard } = options;
  const samples = shard ? all.filter((s) => inShard(shardKey(s.fields, s.sampleIndex), shard)) : all;
  const opts = shard ? { ...options, outFile: shardFile(options.outFile, shard) } : options;
  checkOutputFile(opts.outFile, { flag: '--out', createFolder: true, inputs: [{ flag: '--samples', file: opts.samplesFile }] });
  const lock = acquireLock(opts.outFile, { command: 'codeseceval evaluate' });
  try {
    const record: ShardRecord | undefined = shard
      ? { ...shard, samples_file: path.resolve(opts.samplesFile), samples_sha256: await fileSha256(opts.samplesFile), samples: samples.length }
      : undefined;
    return await evaluateLocked(opts, samples, record);
  } finally {
    lock.release();
  }
}

async function fileSha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function evaluateLocked(opts: EvaluateOptions, samples: LoadedSample[], shard: ShardRecord | undefined): Promise<EvaluateSummary> {
  const prefix: Prefix = opts.fresh ? { count: 0, bytes: 0, foreign: null, done: new Set() } : reusablePrefix(opts.outFile, samples, opts.soft ?? false);
  if (prefix.foreign) {
    throw new UserError(
      `--out ${opts.outFile}: line ${prefix.foreign.line} is not a result of a sample of ${opts.samplesFile} ` +
        `(${prefix.foreign.why}); it was left as it is — ${prefix.foreign.repairable ? `${repairHint(opts.outFile)} (then run this again), ` : ''}pass --fresh to replace the file, or choose another --out`,
    );
  }
  const resumed = prefix.count;
  const counts = emptyStatusCounts();
  const todo = samples.filter((_, i) => !prefix.done.has(i));
  const summary = (interrupted: boolean): EvaluateSummary => ({ total: samples.length, resumed, counts, outFile: opts.outFile, interrupted });
  // The interpreter and sandbox are checked (and the environment recorded, a resume under
  // another environment refused) before the results file is changed.
  const executor = todo.length ? createExecutor({ ...opts, preload: opts.preload ?? preloadFor(todo.map((s) => s.task)) }) : null;
  try {
    const env = await evaluationEnvironment(opts, samples, resumed, executor?.info, shard);
    // The probes above block the event loop; a Ctrl-C that arrived meanwhile is handled in
    // the loop's next turn. Let it run now, before any sandbox worker is started.
    await new Promise((resolve) => setImmediate(resolve));
    if (opts.signal?.aborted) return summary(true);
    // Keep the reusable prefix and drop anything after it (a torn last line), then append.
    if (existsSync(opts.outFile)) truncateFile(opts.outFile, prefix.bytes);
    const out = new JsonlAppender<ResultLine>(opts.outFile);
    try {
      if (!executor) return summary(false);
      let limits: Map<string, number> | undefined;
      if (opts.timeout === 'auto') {
        limits = await autoTimeouts(
          todo.map((s) => s.task),
          executor,
          (done, total) => opts.onProgress?.({ phase: 'calibrate', done, total }),
          opts.signal,
        );
      }
      const fixed = typeof opts.timeout === 'number' ? opts.timeout : undefined;
      const normal = new Map<number, ExecResult>();
      const soft = new Map<number, ExecResult>();
      let done = 0;
      // Soft mode adds a second, soft-assert run of each sample; the verdict (and pass@k)
      // always comes from the normal run.
      const jobs = todo.map((s) => taskJob(s.task, s.program, { timeoutSec: limits?.get(s.task.id) ?? fixed }));
      const perSample = opts.soft ? 2 : 1;
      const allJobs = opts.soft ? jobs.flatMap((j) => [j, { ...j, soft: true }]) : jobs;
      try {
        await executor.run(
          allJobs,
          (k, result) => {
            const i = Math.floor(k / perSample);
            (k % perSample === 0 ? normal : soft).set(i, result);
            const r = normal.get(i);
            if (!r || (opts.soft && !soft.has(i))) return;
            counts[r.status]++;
            // With --soft every line carries `soft`: null when the soft run gave no outcome
            // (syntax error, timeout, crash), so readers never mistake it for a missing field.
            out.append(resultLine(todo[i]!, r, opts.soft ? (soft.get(i)?.soft ?? null) : undefined, env.known));
            normal.delete(i);
            soft.delete(i);
            opts.onProgress?.({ phase: 'evaluate', done: ++done, total: todo.length, resumed });
          },
          opts.signal,
        );
      } catch (e) {
        if (e instanceof InterruptedError) return summary(true);
        throw e;
      }
      return summary(false);
    } finally {
      out.close();
    }
  } catch (e) {
    if (e instanceof InterruptedError) return summary(true);
    throw e;
  } finally {
    executor?.close();
  }
}

export function resultLine(sample: LoadedSample, r: ExecResult, soft?: SoftOutcome | null, known?: ModuleKnowledge): ResultLine {
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
    ...(r.cases ? { cases: r.cases } : {}),
    ...environmentFailureField(r, known),
  };
}

interface Prefix {
  /** Leading complete lines of the out file that are kept (results of these samples). */
  count: number;
  bytes: number;
  /** The first complete line that is not a result of these samples (refused without --fresh). */
  foreign: { line: number; why: string; repairable: boolean } | null;
  /** Indexes (into the samples) of the samples those kept lines are results of. */
  done: Set<number>;
}

/**
 * Which leading lines of an existing out file are results of these samples, matched by sample
 * (results are written in the order samples finish, not in input order), and how many bytes
 * they take. A torn last line (a kill mid-write) is simply redone; so is every line from the
 * first one made without the soft run that is asked for now.
 */
function reusablePrefix(outFile: string, samples: LoadedSample[], soft: boolean): Prefix {
  const done = new Set<number>();
  if (!existsSync(outFile)) return { count: 0, bytes: 0, foreign: null, done };
  const byKey = new Map(samples.map((s, i) => [resultKey(s.fields, s.sampleIndex), i]));
  let count = 0;
  let bytes = 0;
  for (const entry of readJsonlSync(outFile, ResultLine, { tornTail: 'report', invalid: 'report' })) {
    if (entry.kind === 'torn') break;
    // A damaged or repeated line is what `repair` moves aside; a result of other samples is not.
    const foreign = (why: string, repairable = false): Prefix => ({ count, bytes, foreign: { line: entry.line, why, repairable }, done });
    if (entry.kind === 'invalid') return foreign(entry.problem, true);
    const r = entry.value;
    const i = byKey.get(resultKey(r, r.sample_index));
    if (i === undefined) return foreign(`no sample ${r.task_id} #${r.sample_index} of that model and experiment`);
    if (done.has(i)) return foreign(`a second result of ${r.task_id} #${r.sample_index}`, true);
    const sample = samples[i]!;
    if (r.solution !== sample.fields.solution || r.completion !== sample.fields.completion) {
      return foreign(`the program of ${r.task_id} #${r.sample_index} differs`);
    }
    // A soft run asked for now cannot reuse a result made without one: it is redone.
    if (soft && !('soft' in r)) break;
    done.add(i);
    count++;
    bytes = entry.bytes;
  }
  return { count, bytes, foreign: null, done };
}
