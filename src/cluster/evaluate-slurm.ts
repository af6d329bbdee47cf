import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { UserError } from '../core/errors.js';
import { shardFile, shardKey, shardOfKey } from '../core/shard.js';
import { emptyStatusCounts, Status } from '../core/status.js';
import type { Dataset } from '../core/task.js';
import type { EvaluateSummary } from '../evaluate/evaluate.js';
import { readSamples } from '../evaluate/samples.js';
import { readJsonFileSync, readJsonl } from '../io/jsonl.js';
import { acquireLock } from '../io/lock.js';
import { checkOutputFile } from '../io/paths.js';
import { writeFileAtomic } from '../io/write.js';
import { mergeShards } from '../merge/merge.js';
import { ShardWatcher } from './shard-files.js';
import { arrayTaskStates, requireSbatch, submitArray } from './slurm.js';

export interface SlurmSettings {
  /** Array tasks (shards). */
  shards: number;
  /** `--sbatch "ARGS"`, split into words: partition, time, account and the like. */
  sbatchArgs: readonly string[];
  /** How to start this tool on a compute node: [node, its flags..., the CLI script]. */
  cli: readonly string[];
  /** Evaluate flags every task gets (dataset, engine limits), besides --samples, --out, --shard. */
  flags: readonly string[];
  /** Submissions of one shard before it counts as failed for good. Default 3. */
  maxAttempts?: number;
  /** Between looks at the queue and the files. Default 5 s. */
  pollMs?: number;
}

export interface SlurmProgress {
  pending: number;
  running: number;
  done: number;
  /** Shards whose task ended without finishing them, about to be submitted again. */
  resubmitted: number;
  samplesDone: number;
  samplesTotal: number;
  jobIds: string[];
}

export interface SlurmEvaluateOptions {
  samplesFile: string;
  outFile: string;
  dataset: Dataset;
  soft?: boolean;
  slurm: SlurmSettings;
  signal?: AbortSignal;
  onProgress?: (p: SlurmProgress) => void;
  onNotice?: (message: string) => void;
}

const Job = z.object({ id: z.string(), indices: z.array(z.number().int().nonnegative()), submitted_at: z.string() });
const SlurmState = z.object({
  format: z.literal('codeseceval-slurm'),
  version: z.literal(1),
  samples_file: z.string(),
  out: z.string(),
  shards: z.number().int().positive(),
  jobs: z.array(Job),
});
type SlurmState = z.infer<typeof SlurmState>;

/** Where the driver keeps its job IDs, batch script and the tasks' logs: beside --out. */
export function slurmFolder(outFile: string): string {
  return `${outFile}.slurm`;
}

function quote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * `evaluate --slurm N`: an N-task `sbatch --array` whose tasks run `evaluate --shard auto` on
 * the shared folder, watched until every shard's file is finished, then merged into `outFile`.
 * The job IDs are kept in `<out>.slurm/state.json` before anything else happens, so a driver
 * killed and started again finds the tasks still queued or running and submits only shards
 * that are neither finished nor in the queue. A task that ends without finishing its shard is
 * submitted again, at most `maxAttempts` times. Stopping the driver (Ctrl-C) leaves the queued
 * tasks alone: they go on, and the next start picks them up.
 */
export async function evaluateOnSlurm(opts: SlurmEvaluateOptions): Promise<EvaluateSummary> {
  const { slurm } = opts;
  if (slurm.sbatchArgs.some((a) => /^(-a|--array)(=|$)/.test(a))) throw new UserError('--sbatch: leave out --array; --slurm N makes the array');
  requireSbatch();
  const samplesFile = path.resolve(opts.samplesFile);
  const outFile = path.resolve(opts.outFile);
  const samples = await readSamples(samplesFile, opts.dataset);
  checkOutputFile(outFile, { flag: '--out', createFolder: true, inputs: [{ flag: '--samples', file: samplesFile }] });
  const count = slurm.shards;
  const expected = new Array<number>(count).fill(0);
  for (const s of samples) expected[shardOfKey(shardKey(s.fields, s.sampleIndex), count)]!++;
  const folder = slurmFolder(outFile);
  mkdirSync(folder, { recursive: true });
  const lock = acquireLock(path.join(folder, 'driver'), { command: 'codeseceval evaluate --slurm' });
  try {
    const stateFile = path.join(folder, 'state.json');
    const state = loadState(stateFile, samplesFile, outFile, count);
    const script = path.join(folder, 'evaluate.sh');
    const command = [...slurm.cli, 'evaluate', '--samples', samplesFile, '--out', outFile, ...slurm.flags, ...(opts.soft ? ['--soft'] : []), '--shard', 'auto'];
    await writeFileAtomic(
      script,
      [
        '#!/bin/sh',
        '#SBATCH --job-name=codeseceval-evaluate',
        `#SBATCH --output=${path.join(folder, 'slurm-%A_%a.out')}`,
        '# One shard of an evaluation, written by codeseceval evaluate --slurm (the shard index is the array task ID).',
        `export CODESECEVAL_SHARDS=${count}`,
        `exec ${command.map(quote).join(' ')}`,
        '',
      ].join('\n'),
    );
    const files = Array.from({ length: count }, (_, index) => shardFile(outFile, { index, count }));
    const watcher = new ShardWatcher();
    const attempts = new Array<number>(count).fill(0);
    for (const job of state.jobs) for (const i of job.indices) attempts[i]!++;
    const maxAttempts = slurm.maxAttempts ?? 3;
    const total = samples.length;
    for (;;) {
      if (opts.signal?.aborted) return summaryOf(outFile, total, true);
      // The queue first, then the files: a task that ends between the two looks is then seen finished, never lost.
      const queue = arrayTaskStates(state.jobs.map((j) => j.id));
      const progress: SlurmProgress = { pending: 0, running: 0, done: 0, resubmitted: 0, samplesDone: 0, samplesTotal: total, jobIds: state.jobs.map((j) => j.id) };
      const toSubmit: number[] = [];
      const failed: number[] = [];
      for (let i = 0; i < count; i++) {
        const where = latestTask(state, i);
        const inQueue = where ? queue.get(`${where}_${i}`) : undefined;
        progress.samplesDone += Math.min(watcher.lines(files[i]!), expected[i]!);
        // A finished shard whose task has not left the queue may still hold its file's lock: wait for it to go.
        if (watcher.finished(files[i]!, expected[i]!) && !inQueue) progress.done++;
        else if (inQueue === 'pending') progress.pending++;
        else if (inQueue) progress.running++;
        else if (attempts[i]! >= maxAttempts) failed.push(i);
        else toSubmit.push(i);
      }
      if (failed.length) {
        const logs = failed.map((i) => path.join(folder, `slurm-${latestTask(state, i)}_${i}.out`));
        throw new UserError(
          `--slurm: shard(s) ${failed.join(', ')} ended unfinished ${maxAttempts} times; see ${logs[0]}${logs.length > 1 ? ` (and ${logs.length - 1} more)` : ''}, fix the cause and run the same command again`,
        );
      }
      if (toSubmit.length) {
        const resubmitted = toSubmit.filter((i) => attempts[i]! > 0);
        if (resubmitted.length) opts.onNotice?.(`shard(s) ${resubmitted.join(', ')} ended unfinished; submitting again (attempt ${Math.max(...resubmitted.map((i) => attempts[i]!)) + 1} of ${maxAttempts})`);
        const id = submitArray(script, toSubmit, slurm.sbatchArgs, { CODESECEVAL_SHARDS: String(count) });
        state.jobs.push({ id, indices: toSubmit, submitted_at: new Date().toISOString() });
        await saveState(stateFile, state);
        for (const i of toSubmit) attempts[i]!++;
        opts.onNotice?.(`submitted job ${id}: array task(s) ${toSubmit.join(',')} of ${count} (logs: ${path.join(folder, `slurm-${id}_<task>.out`)})`);
        progress.pending += toSubmit.length;
        progress.resubmitted = resubmitted.length;
        progress.jobIds.push(id);
      }
      opts.onProgress?.(progress);
      if (progress.done === count) break;
      await sleep(slurm.pollMs ?? 5_000, opts.signal);
    }
    await mergeShards({ files, out: outFile });
    return summaryOf(outFile, total, false);
  } finally {
    lock.release();
  }
}

/** The job that last got shard `i`, or null when none did. */
function latestTask(state: SlurmState, i: number): string | null {
  for (let k = state.jobs.length - 1; k >= 0; k--) if (state.jobs[k]!.indices.includes(i)) return state.jobs[k]!.id;
  return null;
}

function loadState(file: string, samplesFile: string, out: string, shards: number): SlurmState {
  if (!existsSync(file)) return { format: 'codeseceval-slurm', version: 1, samples_file: samplesFile, out, shards, jobs: [] };
  const state = readJsonFileSync(file, SlurmState);
  if (state.shards !== shards) {
    throw new UserError(`--slurm ${shards}: ${file} records an evaluation in ${state.shards} shards; give --slurm ${state.shards} to continue it, or another --out`);
  }
  if (state.samples_file !== samplesFile) throw new UserError(`--samples: ${file} records an evaluation of ${state.samples_file}; give that file, or another --out`);
  return state;
}

async function saveState(file: string, state: SlurmState): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(state, null, 1)}\n`);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

const StatusOnly = z.looseObject({ status: Status });

async function summaryOf(outFile: string, total: number, interrupted: boolean): Promise<EvaluateSummary> {
  const counts = emptyStatusCounts();
  if (!interrupted) for await (const { value } of readJsonl(outFile, StatusOnly)) counts[value.status]++;
  return { total, resumed: 0, counts, outFile, interrupted };
}
