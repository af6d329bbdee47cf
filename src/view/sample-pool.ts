/**
 * Where a sample is rendered. Ordinary lines (up to INLINE_BYTES) are read and rendered in
 * the request handler, as before. Bigger ones are read asynchronously and rendered by one
 * worker thread, so a huge answer costs its own request the time, never the others: the
 * overview, other samples and `/api/version` are answered meanwhile.
 *
 * The worker is started on first use and does not keep the process alive; if it dies (out
 * of memory on an absurd line), the requests it held fail with a message and the next big
 * sample starts a new one.
 */
import { closeSync, read } from 'node:fs';
import type { Worker } from 'node:worker_threads';
import { openNoFollow } from './nofollow.js';
import { renderSample, sampleText, TEXT_FIELDS, type RenderedSample, type SampleRefs, type TextField } from './sample-render.js';
import type { WorkerReply, WorkerRequest } from './sample-worker.js';
import { startModuleWorker } from './sources.js';

/** Lines longer than this go to the worker. */
export const INLINE_BYTES = 256 * 1024;

/** Where a result line is: the viewer's index keeps the file, byte offset and length of each. */
export interface LineRef {
  file: string;
  offset: number;
  length: number;
}

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };

let worker: Worker | null = null;
const pending = new Map<number, Pending>();
let nextId = 1;

function startWorker(): Worker {
  const w = startModuleWorker(import.meta.url, 'sample-worker');
  w.on('message', (m: WorkerReply) => {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.ok) p.resolve(m.value);
    else p.reject(new Error(m.error));
  });
  const fail = (why: string) => {
    if (worker === w) worker = null;
    for (const p of pending.values()) p.reject(new Error(why));
    pending.clear();
  };
  w.on('error', (e) => fail(`the viewer's sample worker failed: ${e.message.split('\n')[0]}`));
  w.on('exit', (code) => fail(`the viewer's sample worker stopped (exit ${code})`));
  // After the listeners: adding a 'message' listener refs the worker's port again.
  w.unref();
  return w;
}

type Request = WorkerRequest extends infer R ? (R extends WorkerRequest ? Omit<R, 'id'> : never) : never;

function ask(req: Request, transfer: ArrayBuffer[]): Promise<unknown> {
  worker ??= startWorker();
  const id = nextId++;
  const w = worker;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    w.postMessage({ ...req, id }, transfer);
  });
}

/** The line's bytes, read without blocking the event loop (and without following a symlink). */
function readLine(ref: LineRef): Promise<Uint8Array> {
  const fd = openNoFollow(ref.file);
  const buf = new Uint8Array(new ArrayBuffer(ref.length));
  return new Promise<Uint8Array>((resolve, reject) => {
    const next = (off: number) => {
      if (off >= ref.length) return resolve(buf);
      read(fd, buf, off, ref.length - off, ref.offset + off, (err, n) => {
        if (err) return reject(err);
        if (n === 0) return resolve(buf.subarray(0, off));
        next(off + n);
      });
    };
    next(0);
  }).finally(() => closeSync(fd));
}

const where = (ref: LineRef) => `${ref.file}: byte ${ref.offset}`;

/** The rendered sample: inline for an ordinary line (`readInline` is the viewer's own reader), in the worker for a big one. */
export async function renderLine(ref: LineRef, readInline: () => Parameters<typeof renderSample>[0], refs: SampleRefs, textUrl: (f: TextField) => string): Promise<RenderedSample> {
  if (ref.length <= INLINE_BYTES) return renderSample(readInline(), refs, textUrl);
  const bytes = await readLine(ref);
  const urls = Object.fromEntries(TEXT_FIELDS.map((f) => [f, textUrl(f)])) as Record<TextField, string>;
  return (await ask({ kind: 'render', bytes, where: where(ref), refs, urls }, [bytes.buffer as ArrayBuffer])) as RenderedSample;
}

/** One field's whole text, as UTF-8 bytes. */
export async function lineText(ref: LineRef, readInline: () => Parameters<typeof renderSample>[0], field: TextField): Promise<Uint8Array> {
  if (ref.length <= INLINE_BYTES) return Buffer.from(sampleText(readInline(), field), 'utf8');
  const bytes = await readLine(ref);
  return (await ask({ kind: 'text', bytes, where: where(ref), field }, [bytes.buffer as ArrayBuffer])) as Uint8Array;
}
