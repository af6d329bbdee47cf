import type { ShardToCheck } from './lines.js';

/** Messages between `merge` and its worker threads (check-worker.ts). */
export type ToWorker = { type: 'check'; job: number; input: ShardToCheck } | { type: 'ack' };

export type FromWorker =
  | { type: 'chunk'; job: number; buffer: ArrayBuffer; ranges: number[] }
  | { type: 'done'; job: number; lines: number }
  | { type: 'error'; job: number; user: boolean; message: string };
