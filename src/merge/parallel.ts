/**
 * Checks shard files on worker threads (check-worker.ts), one whole shard per worker at a
 * time, and hands back their checked bytes in shard order: validation (decoding, JSON parsing,
 * the schema) is most of a merge's work, and shards are independent (a line's key decides its
 * shard, so a sample twice can only be twice within one file). Errors come out in shard order
 * too, so a failed merge names the same problem however the threads raced.
 */
import os from 'node:os';
import type { Worker } from 'node:worker_threads';
import { UserError } from '../core/errors.js';
import { startModuleWorker } from '../io/worker.js';
import type { FromWorker, ToWorker } from './check-protocol.js';
import type { ShardToCheck } from './lines.js';

/** More threads than this would outrun the one thread writing the output. */
const MAX_WORKERS = 4;

interface Job {
  /** Checked bytes to write; each buffer's views are followed by an Ack holding the buffer. */
  chunks: (Uint8Array | Ack)[];
  worker: Worker | null;
  lines: number | null;
  error: Error | null;
}

export function defaultWorkers(shards: number): number {
  return Math.max(1, Math.min(MAX_WORKERS, os.availableParallelism(), shards));
}

/**
 * The checked bytes of every shard, in order; `onShard(k, lines)` is called when shard k's
 * bytes have all been handed out. Each chunk is valid until the next is asked for (its memory
 * then goes back to the worker): write or copy it first. The workers are stopped however the
 * iteration ends.
 */
export async function* checkedShardsInOrder(inputs: readonly ShardToCheck[], onShard: (k: number, lines: number) => void, workers = defaultWorkers(inputs.length)): AsyncGenerator<Uint8Array> {
  const jobs: Job[] = inputs.map(() => ({ chunks: [], worker: null, lines: null, error: null }));
  const pool: Worker[] = [];
  let next = 0;
  let notify: (() => void) | null = null;
  const poke = (): void => {
    const n = notify;
    notify = null;
    n?.();
  };
  // Set from the workers' event handlers.
  const state: { failed: Error | null; stopping: boolean } = { failed: null, stopping: false };
  const give = (w: Worker): void => {
    if (next >= jobs.length || jobs.some((j) => j.error)) return;
    const job = next++;
    jobs[job]!.worker = w;
    w.postMessage({ type: 'check', job, input: inputs[job]! } satisfies ToWorker);
  };
  for (let i = 0; i < workers; i++) {
    const w = startModuleWorker(import.meta.url, 'check-worker');
    w.on('message', (m: FromWorker) => {
      const job = jobs[m.job]!;
      if (m.type === 'chunk') {
        for (let r = 0; r < m.ranges.length; r += 2) job.chunks.push(new Uint8Array(m.buffer, m.ranges[r]!, m.ranges[r + 1]! - m.ranges[r]!));
        // One acknowledgement per buffer, sent with the buffer when its last range is written.
        job.chunks.push(new Ack(m.buffer));
      } else if (m.type === 'done') {
        job.lines = m.lines;
        give(w);
      } else {
        job.error = m.user ? new UserError(m.message) : new Error(`merge: a checking thread failed: ${m.message}`);
      }
      poke();
    });
    w.on('error', (e) => {
      state.failed ??= new Error(`merge: a checking thread failed: ${e.message}`);
      poke();
    });
    w.on('exit', (code) => {
      if (!state.stopping) state.failed ??= new Error(`merge: a checking thread stopped (exit ${code})`);
      poke();
    });
    pool.push(w);
  }
  try {
    for (const w of pool) give(w);
    for (let k = 0; k < jobs.length; k++) {
      const job = jobs[k]!;
      for (;;) {
        if (state.failed) throw state.failed;
        const chunk = job.chunks.shift();
        if (chunk instanceof Ack) {
          // Written (the consumer writes each chunk before asking for the next): the buffer can go back.
          job.worker!.postMessage({ type: 'ack', buffer: chunk.buffer } satisfies ToWorker, [chunk.buffer]);
          continue;
        }
        if (chunk) {
          yield chunk;
          continue;
        }
        if (job.error) throw job.error;
        if (job.lines !== null) break;
        await new Promise<void>((resolve) => (notify = resolve));
      }
      onShard(k, job.lines);
    }
  } finally {
    state.stopping = true;
    await Promise.all(pool.map((w) => w.terminate()));
  }
}

/** Marks where a buffer's ranges end in a job's queue. */
class Ack {
  constructor(readonly buffer: ArrayBuffer) {}
}
