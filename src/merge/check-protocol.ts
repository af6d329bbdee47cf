import type { ShardToCheck } from './lines.js';

/**
 * Messages between `merge` and its worker threads (check-worker.ts). A chunk's buffer comes back
 * with its acknowledgement, once written, for the worker to read into again.
 */
export type ToWorker = { type: 'check'; job: number; input: ShardToCheck } | { type: 'ack'; buffer: ArrayBuffer | null };

export type FromWorker =
  | { type: 'chunk'; job: number; buffer: ArrayBuffer; ranges: number[] }
  | { type: 'done'; job: number; lines: number }
  | { type: 'error'; job: number; user: boolean; message: string };
