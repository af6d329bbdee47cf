/**
 * The viewer's worker thread: parses and renders big samples (sample-pool.ts) so that a
 * 100 MB or 400,000-line answer never holds up the requests of other pages.
 */
import { parentPort } from 'node:worker_threads';
import { parseSampleLine, renderSample, sampleText, type SampleRefs, type TextField } from './sample-render.js';

export type WorkerRequest =
  | { id: number; kind: 'render'; bytes: Uint8Array; where: string; refs: SampleRefs; urls: Record<TextField, string> }
  | { id: number; kind: 'text'; bytes: Uint8Array; where: string; field: TextField };

export type WorkerReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };

parentPort?.on('message', (m: WorkerRequest) => {
  let reply: WorkerReply;
  try {
    const line = parseSampleLine(m.bytes, m.where);
    if (m.kind === 'render') {
      reply = { id: m.id, ok: true, value: renderSample(line, m.refs, (f) => m.urls[f]) };
    } else {
      // Sent back as bytes, moved rather than copied: a whole program may be 100 MB.
      // (TextEncoder, not Buffer.from: a small Buffer shares a pooled ArrayBuffer, which must not be moved.)
      const out = new TextEncoder().encode(sampleText(line, m.field));
      parentPort!.postMessage({ id: m.id, ok: true, value: out } satisfies WorkerReply, [out.buffer]);
      return;
    }
  } catch (e) {
    reply = { id: m.id, ok: false, error: (e as Error).message.split('\n')[0] ?? 'failed' };
  }
  parentPort!.postMessage(reply);
});
