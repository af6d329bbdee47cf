/**
 * The worker thread of `merge`: checks whole shard files (checkedShardRuns) and sends their
 * bytes back in the read buffers themselves (transferred, not copied), with the byte ranges
 * of the checked lines. At most WINDOW buffers wait unwritten: the main thread acknowledges
 * each as it writes it, so a worker ahead of the writer pauses instead of filling memory, and
 * sends the buffer back to be read into again (fresh buffers make the garbage collector run
 * for their size, again and again).
 */
import { parentPort } from 'node:worker_threads';
import { UserError } from '../core/errors.js';
import { checkedShardRuns, type CheckedRun } from './lines.js';
import type { ToWorker, FromWorker } from './check-protocol.js';

const WINDOW = 16;
/** Node gives buffers this big (far above its 8 KiB pool) memory of their own. */
const OWN_BUFFER = 64 * 1024;
const port = parentPort!;
let unacked = 0;
let wake: (() => void) | null = null;
const jobs: Extract<ToWorker, { type: 'check' }>[] = [];
const spare: ArrayBuffer[] = [];

/** Read buffers: a returned one when it fits. */
function alloc(size: number): Buffer {
  const i = spare.findIndex((b) => b.byteLength >= size);
  if (i < 0) return Buffer.allocUnsafe(size);
  const [ab] = spare.splice(i, 1);
  return Buffer.from(ab!, 0, size);
}

function send(m: FromWorker, transfer: ArrayBuffer[] = []): void {
  port.postMessage(m, transfer);
}

async function check(job: Extract<ToWorker, { type: 'check' }>): Promise<void> {
  let buf: Buffer | null = null;
  let ranges: number[] = [];
  const flush = async (): Promise<void> => {
    if (!buf) return;
    // A read buffer has its own memory; a small one may share Node's pool, which must not be taken away.
    const own = buf.byteOffset === 0 && buf.buffer.byteLength >= OWN_BUFFER;
    const ab = own ? (buf.buffer as ArrayBuffer) : (new Uint8Array(buf).buffer as ArrayBuffer);
    const offset = 0;
    send({ type: 'chunk', job: job.job, buffer: ab, ranges: ranges.map((r) => r + offset) }, [ab]);
    buf = null;
    ranges = [];
    if (++unacked >= WINDOW) await new Promise<void>((resolve) => (wake = resolve));
  };
  try {
    const runs = checkedShardRuns(job.input, alloc);
    let step = runs.next();
    for (; !step.done; step = runs.next()) {
      const run: CheckedRun = step.value;
      // A run in a new read buffer: the generator is done with the old one, which can go.
      if (buf && run.buf !== buf) await flush();
      buf = run.buf;
      ranges.push(run.start, run.end);
    }
    await flush();
    send({ type: 'done', job: job.job, lines: step.value });
  } catch (e) {
    const user = e instanceof UserError;
    send({ type: 'error', job: job.job, user, message: user ? e.message : ((e as Error).stack ?? String(e)) });
  }
}

let running = false;
async function drain(): Promise<void> {
  if (running) return;
  running = true;
  for (let job = jobs.shift(); job; job = jobs.shift()) await check(job);
  running = false;
}

port.on('message', (m: ToWorker) => {
  if (m.type === 'ack') {
    if (m.buffer && m.buffer.byteLength >= OWN_BUFFER) spare.push(m.buffer);
    unacked--;
    if (wake && unacked < WINDOW) {
      const w = wake;
      wake = null;
      w();
    }
    return;
  }
  jobs.push(m);
  void drain();
});
