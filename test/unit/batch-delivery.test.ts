import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BatchApi, BatchRequest, BatchStatus } from '../../src/core/model.js';
import { BatchDelivery } from '../../src/generate/batch-delivery.js';
import { BatchLedger } from '../../src/generate/batch-ledger.js';
import { RunControl } from '../../src/generate/control.js';
import type { Job } from '../../src/generate/plan.js';

/** A batch API in memory: every batch ends at its first status check, answering each request with its text. */
function memoryApi(limits: { requests: number; bytes: number }) {
  const batches: BatchRequest[][] = [];
  const api: BatchApi = {
    provider: 'memory',
    limits,
    size: (r) => (r.prompt.style === 'chat' ? r.prompt.user.length : 0),
    submit: async (reqs) => `b${batches.push([...reqs]) - 1}`,
    status: async (id): Promise<BatchStatus> => {
      const n = batches[Number(id.slice(1))]!.length;
      return { id, state: 'ended', providerStatus: 'ended', counts: { completed: n, failed: 0, total: n } };
    },
    results: async (s) => batches[Number(s.id.slice(1))]!.map((r) => ({ customId: r.customId, result: { text: `answer ${r.customId}`, usage: null, latencyMs: 0, finishReason: 'stop' } })),
  };
  return { api, batches };
}

function job(i: number): Job {
  return { task: { id: `t${i}` }, experiment: 'direct-generation', sampleIndex: 0, promptHash: 'h' } as unknown as Job;
}

async function gather(limits: { requests: number; bytes: number }, keys: string[]) {
  const { api, batches } = memoryApi(limits);
  const ledger = new BatchLedger(path.join(mkdtempSync(path.join(os.tmpdir(), 'cse-bd-')), 's.jsonl.batches.json'));
  const stored: string[] = [];
  const delivery = new BatchDelivery({
    api,
    ledger,
    control: new RunControl(),
    server: 'mem',
    model: 'm',
    pollMs: 1,
    detach: false,
    store: (k) => stored.push(k),
    counts: { requests: 0, batched: 0 },
    notice: () => {},
    onStatus: () => {},
  });
  const answers: string[] = [];
  await delivery.runAll(
    keys.map((_, i) => job(i)),
    async (j) => {
      const i = Number(j.task.id.slice(1));
      // Some jobs do other work first: the batch waits until every job is waiting.
      if (i % 3 === 0) await new Promise((r) => setTimeout(r, 5));
      const a = await delivery.ask({ job: j, prompt: { style: 'chat', system: null, user: 'x'.repeat(100) }, params: { maxTokens: 5 }, key: keys[i]! });
      answers[i] = a.result!.text;
    },
  );
  return { batches, answers, stored, ledger: JSON.parse(readFileSync(ledger.file, 'utf8')) as { batches: { id: string; state: string; requests: unknown[] }[] } };
}

describe('batch delivery', () => {
  it('gathers every request of a round into one batch, answering each by its custom_id', async () => {
    const keys = Array.from({ length: 10 }, (_, i) => `k${i}`);
    const r = await gather({ requests: 100, bytes: 10_000 }, keys);
    expect(r.batches.map((b) => b.length)).toEqual([10]);
    expect(r.answers).toEqual(keys.map((k) => `answer ${k}`));
    expect(r.stored.sort()).toEqual([...keys].sort());
    expect(r.ledger.batches).toMatchObject([{ id: 'b0', state: 'collected' }]);
  });

  it('splits at the byte limit as well as the request limit', async () => {
    const keys = Array.from({ length: 10 }, (_, i) => `k${i}`);
    expect((await gather({ requests: 100, bytes: 350 }, keys)).batches.map((b) => b.length)).toEqual([3, 3, 3, 1]);
    expect((await gather({ requests: 4, bytes: 10_000 }, keys)).batches.map((b) => b.length)).toEqual([4, 4, 2]);
  });

  it('asks one request for jobs that ask the very same thing', async () => {
    const r = await gather({ requests: 100, bytes: 10_000 }, ['same', 'same', 'other']);
    expect(r.batches.map((b) => b.map((q) => q.customId).sort())).toEqual([['other', 'same']]);
    expect(r.answers).toEqual(['answer same', 'answer same', 'answer other']);
  });
});
