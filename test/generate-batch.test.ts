import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, expect, it } from 'vitest';
import { loadDataset } from '../src/benchmarks/index.js';
import { type GenerateOptions, generateSamples } from '../src/generate/generate.js';
import type { GeneratedSample } from '../src/core/sample.js';
import type { Dataset } from '../src/core/task.js';
import { type FakeAnswer, type FakeBatchOptions, type FakeBatchServer, startFakeBatchServer, userTextOf } from './helpers/fake-batch.js';
import { readSamples } from './helpers/generate.js';
import { evaluateSamples } from '../src/evaluate/evaluate.js';
import { buildReport } from '../src/report/build.js';
import { renderMarkdown } from '../src/report/markdown.js';
import { toJson } from '../src/report/json.js';
import { renderHtml } from '../src/report/html.js';
import { runPipeline } from '../src/run/run.js';
import { CODESECEVAL_DIR, describeWithDataset } from './helpers/datasets.js';

let dataset: Dataset;
const TASKS = ['CWE-020_codeql_1', 'CWE-078_author_1', 'CWE-20_01'];
const servers: FakeBatchServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

beforeAll(() => {
  dataset = loadDataset(CODESECEVAL_DIR);
});

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'cse-batch-'));

/** The task's Secure Code in a fence; the task is found by its Problem in the prompt. */
function secure(body: Record<string, unknown>): FakeAnswer {
  const text = userTextOf(body);
  const task = dataset.tasks.find((t) => text.includes(t.problem.trim()));
  return task ? { text: `Here:\n\n\`\`\`python\n${task.secureCode}\n\`\`\`\n` } : { text: 'no task' };
}

async function fake(kind: 'openai' | 'anthropic', opts: Partial<FakeBatchOptions> = {}): Promise<FakeBatchServer> {
  const s = await startFakeBatchServer(kind, { answer: secure, ...opts });
  servers.push(s);
  return s;
}

function options(kind: 'openai' | 'anthropic', server: FakeBatchServer, dir: string, over: Partial<GenerateOptions> = {}): GenerateOptions {
  return {
    dataset,
    model: kind === 'openai' ? 'openai:fake-coder' : 'anthropic:fake-claude',
    outFile: path.join(dir, 'samples.jsonl'),
    tasks: TASKS,
    n: 2,
    experiments: ['direct-generation', 'vuln-aware-generation'],
    baseURL: server.baseURL,
    env: { OPENAI_API_KEY: 'k', ANTHROPIC_API_KEY: 'k', CODESECEVAL_BATCH_POLL_MS: '5' },
    cacheDir: path.join(dir, 'cache'),
    maxRetries: 0,
    ...over,
  };
}

/** A samples line without what differs between deliveries (ids, timing, the batch it came by). */
function comparable(s: GeneratedSample): Record<string, unknown> {
  const { created_at: _c, latency_ms: _l, delivery: _d, batch_ids: _b, ...rest } = s as GeneratedSample & Record<string, unknown>;
  return rest;
}

const sortKey = (s: GeneratedSample) => `${s.experiment}|${s.task_id}|${s.sample_index}`;
const sorted = (xs: GeneratedSample[]) => [...xs].sort((a, b) => sortKey(a).localeCompare(sortKey(b)));

describeWithDataset('generate --batch', () => {
  for (const kind of ['openai', 'anthropic'] as const) {
    it(`${kind}: gives the same samples file as asking one by one, in one batch, each sample once`, async () => {
      const server = await fake(kind, { plan: () => ({ polls: 3 }) });
      const one = tmp();
      const plain = await generateSamples(options(kind, server, one));
      expect(plain.errors).toBe(0);
      const two = tmp();
      const batched = await generateSamples(options(kind, server, two, { batch: true }));
      expect(batched.done).toBe(12);
      expect(batched.batched).toBe(12);
      expect(server.batches).toHaveLength(1);
      expect(server.batches[0]!.requests).toHaveLength(12);
      // Every request of the batch is the request sent one by one, byte for byte.
      expect(server.batches[0]!.requests.map((r) => JSON.stringify(r.body)).sort()).toEqual(server.single.map((b) => JSON.stringify(b)).sort());
      const a = sorted(readSamples(path.join(one, 'samples.jsonl')));
      const b = sorted(readSamples(path.join(two, 'samples.jsonl')));
      expect(b.map(comparable)).toEqual(a.map(comparable));
      expect(b.every((s) => (s as Record<string, unknown>).delivery === 'batch')).toBe(true);
      expect(a.some((s) => (s as Record<string, unknown>).delivery !== undefined)).toBe(false);
      // The ledger says the batch was collected.
      const ledger = JSON.parse(readFileSync(path.join(two, 'samples.jsonl.batches.json'), 'utf8'));
      expect(ledger.batches).toMatchObject([{ provider: kind, state: 'collected', outcome: 'ended' }]);
      // The answers are in the cache: the same command elsewhere pays nothing.
      const three = tmp();
      const again = await generateSamples(options(kind, server, three, { batch: true, cacheDir: path.join(two, 'cache') }));
      expect(again.cached).toBe(12);
      expect(server.batches).toHaveLength(1);
    });

    it(`${kind}: per-line errors become failed samples; --retry-errors makes them again in a new batch`, async () => {
      let refuse = true;
      const server = await fake(kind, {
        answer: (body, id) => (refuse && id !== null && userTextOf(body).includes(dataset.byId.get('CWE-20_01')!.problem.trim()) ? { error: 'content refused' } : secure(body)),
      });
      const dir = tmp();
      const first = await generateSamples(options(kind, server, dir, { batch: true }));
      // Only the direct-generation prompts quote the Problem as it is: two samples refused.
      expect(first.errors).toBe(2);
      expect(first.firstError).toMatch(/content refused/);
      const failed = readSamples(path.join(dir, 'samples.jsonl')).filter((s) => s.error);
      expect(failed.map((s) => `${s.task_id} ${s.experiment}`)).toEqual(Array(2).fill('CWE-20_01 direct-generation'));
      refuse = false;
      const second = await generateSamples(options(kind, server, dir, { batch: true, retryErrors: true }));
      expect(second.done).toBe(2);
      expect(second.errors).toBe(0);
      expect(server.batches).toHaveLength(2);
      expect(server.batches[1]!.requests).toHaveLength(2);
      const lines = readSamples(path.join(dir, 'samples.jsonl'));
      expect(lines).toHaveLength(12);
      expect(lines.filter((s) => s.error)).toHaveLength(0);
    });

    for (const end of ['expired', 'cancelled', 'failed'] as const) {
      it(`${kind}: a batch that ${end === 'failed' ? 'failed' : `was ${end}`} is one line naming it; answered requests are kept`, async () => {
        if (kind === 'anthropic' && end === 'failed') return; // Message Batches end, they do not fail as a whole.
        const server = await fake(kind, { plan: (i) => (i === 0 ? { end, unanswered: (_id, k) => k % 2 === 0 } : {}) });
        const dir = tmp();
        const notices: string[] = [];
        const r = await generateSamples(options(kind, server, dir, { batch: true, onNotice: (m) => notices.push(m) }));
        const id = server.batches[0]!.id;
        const line = notices.find((n) => n.startsWith(`batch ${id} ${end}`));
        expect(line).toBeDefined();
        const answered = end === 'failed' ? 0 : 6;
        expect(r.errors).toBe(12 - answered);
        expect(r.done).toBe(12);
        const again = await generateSamples(options(kind, server, dir, { batch: true, retryErrors: true }));
        expect(again.done).toBe(12 - answered);
        expect(again.errors).toBe(0);
        expect(server.batches).toHaveLength(2);
        expect(existsSync(path.join(dir, 'samples.jsonl.batches.json'))).toBe(true);
      });
    }
  }

  it('feedback-repair: one batch per round, round k+1 after round k is evaluated; same samples as one by one', async () => {
    const tasks = ['CWE-020_codeql_1', 'CWE-078_author_1', 'CWE-20_01', 'CWE-79_01'];
    // Insecure Code at round 0, the Secure Code once told the test results.
    const learner = (body: Record<string, unknown>): FakeAnswer => {
      const messages = body.messages as { role: string; content: string }[];
      const first = messages.find((m) => m.role === 'user')!.content;
      const task = dataset.tasks.find((t) => first.includes(t.problem.trim()))!;
      const round = messages.filter((m) => m.role === 'assistant').length;
      return { text: `\`\`\`python\n${round === 0 ? task.insecureCode : task.secureCode}\n\`\`\`` };
    };
    const server = await fake('openai', { answer: learner });
    const over = { tasks, n: 1, experiments: ['feedback-repair-tests' as const], rounds: 3 };
    const one = tmp();
    await generateSamples(options('openai', server, one, over));
    const two = tmp();
    const r = await generateSamples(options('openai', server, two, { ...over, batch: true }));
    expect(r.errors).toBe(0);
    expect(server.batches.map((b) => b.requests.length)).toEqual([4, 4]);
    // Round 1's requests carry round 0's answers: they were asked after round 0 came back.
    for (const req of server.batches[1]!.requests) expect((req.body.messages as unknown[]).length).toBe(4);
    const a = sorted(readSamples(path.join(one, 'samples.jsonl')));
    const b = sorted(readSamples(path.join(two, 'samples.jsonl')));
    const strip = (s: GeneratedSample) => ({ ...comparable(s), rounds: s.rounds!.map(({ latency_ms: _l, ...round }) => round) });
    expect(b.map(strip)).toEqual(a.map(strip));
    expect(b.every((s) => s.rounds!.length === 2 && s.rounds![1]!.passed === true)).toBe(true);
    expect(new Set(b.flatMap((s) => (s as Record<string, unknown>).batch_ids as string[])).size).toBe(2);
  }, 180_000);

  it('the report says which results were made at batch prices', async () => {
    const server = await fake('openai');
    const dir = tmp();
    const samples = path.join(dir, 'samples.jsonl');
    await generateSamples(options('openai', server, dir, { batch: true, n: 1, experiments: ['direct-generation'] }));
    // Its own cache: answers cached from the batch would count as made by batch (they were).
    await generateSamples(options('openai', server, dir, { model: 'plain=openai:fake-coder', n: 1, experiments: ['direct-generation'], cacheDir: path.join(dir, 'cache2') }));
    const results = path.join(dir, 'results.jsonl');
    await evaluateSamples({ samplesFile: samples, outFile: results, dataset });
    const report = await buildReport({ resultsFiles: [results], dataset, ks: [1], bootstrap: { resamples: 50 } });
    const tokens = readSamples(samples).filter((s) => s.model === 'openai:fake-coder').reduce((n, s) => n + s.usage!.input_tokens, 0);
    expect(tokens).toBeGreaterThan(0);
    const md = renderMarkdown(report);
    expect(md).toContain('## Results made at batch prices');
    expect(md).toMatch(new RegExp(`\\| openai:fake-coder \\| 3 \\| 3 \\| ${tokens} \\|`));
    expect(md).toMatch(/\| plain \| 3 \| 0 \|/);
    expect(toJson(report).batch_prices).toHaveLength(2);
    const html = renderHtml(report);
    expect(html).toContain('id="table-batch-prices"');
    expect(html).toContain('Results made at batch prices');
  }, 120_000);

  it('feedback-repair stopped while round 1 waits: the same call collects round 1, asks round 0 of nothing again', async () => {
    const tasks = ['CWE-020_codeql_1', 'CWE-078_author_1'];
    const learner = (body: Record<string, unknown>): FakeAnswer => {
      const messages = body.messages as { role: string; content: string }[];
      const task = dataset.tasks.find((t) => messages.find((m) => m.role === 'user')!.content.includes(t.problem.trim()))!;
      const round = messages.filter((m) => m.role === 'assistant').length;
      return { text: `\`\`\`python\n${round === 0 ? task.insecureCode : task.secureCode}\n\`\`\`` };
    };
    const server = await fake('anthropic', { answer: learner, plan: (i) => ({ polls: i === 0 ? 1 : Number.POSITIVE_INFINITY }) });
    const dir = tmp();
    const over = { tasks, n: 1, experiments: ['feedback-repair-tests' as const], rounds: 2, batch: true };
    const stop = new AbortController();
    const first = generateSamples(options('anthropic', server, dir, { ...over, signal: stop.signal }));
    const deadline = Date.now() + 60_000;
    while ((server.batches[1]?.checks ?? 0) < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    stop.abort();
    const stopped = await first;
    expect(stopped.interrupted).toBe(true);
    expect(stopped.done).toBe(0);
    expect(stopped.batch?.inFlight).toEqual([server.batches[1]!.id]);
    server.batches[1]!.plan.polls = 0;
    const second = await generateSamples(options('anthropic', server, dir, over));
    expect(second.done).toBe(2);
    expect(second.errors).toBe(0);
    // Round 0 came from the cache, round 1 from the batch already in flight (or from the
    // cache, for a sample that asked after that batch was read): nothing sent again.
    expect(second.cached).toBeGreaterThanOrEqual(2);
    expect(second.requests).toBe(0);
    expect(second.batched).toBe(0);
    expect(server.batches.map((b) => b.requests.length)).toEqual([2, 2]);
    const lines = readSamples(path.join(dir, 'samples.jsonl'));
    expect(lines.map((l) => l.rounds!.map((r) => r.passed))).toEqual([
      [false, true],
      [false, true],
    ]);
    // Both rounds were made by batch, round 0's answers now read from the cache.
    const ids = server.batches.map((b) => b.id).sort();
    expect(lines.map((l) => (l as Record<string, unknown>).batch_ids)).toEqual([ids, ids]);
  }, 180_000);

  it('splits a round at the batch size limit', async () => {
    const server = await fake('anthropic');
    const dir = tmp();
    const r = await generateSamples(options('anthropic', server, dir, { batch: true, env: { ANTHROPIC_API_KEY: 'k', CODESECEVAL_BATCH_POLL_MS: '5', CODESECEVAL_BATCH_MAX_REQUESTS: '5' } }));
    expect(r.done).toBe(12);
    expect(server.batches.map((b) => b.requests.length)).toEqual([5, 5, 2]);
    expect(new Set(server.batches.flatMap((b) => b.requests.map((q) => q.customId))).size).toBe(12);
  });

  it('without --batch, samples waiting in a recorded batch are refused, not paid twice; a damaged ledger is named', async () => {
    const server = await fake('openai', { plan: () => ({ polls: Number.POSITIVE_INFINITY }) });
    const dir = tmp();
    const detached = await generateSamples(options('openai', server, dir, { batchDetach: true }));
    expect(detached.done).toBe(0);
    expect(detached.interrupted).toBe(false);
    expect(detached.batch).toMatchObject({ inFlight: [server.batches[0]!.id], detached: true });
    const ledger = path.join(dir, 'samples.jsonl.batches.json');
    await expect(generateSamples(options('openai', server, dir))).rejects.toThrow(
      `${ledger} records 1 batch(es) still in flight holding samples this command would make (${server.batches[0]!.id}); add --batch to collect them`,
    );
    expect(server.single).toHaveLength(0);
    // Other samples (another model name) are not held: that run goes on.
    const other = await generateSamples(options('openai', server, dir, { model: 'other=openai:fake-coder', n: 1, experiments: ['direct-generation'] }));
    expect(other.done).toBe(3);
    writeFileSync(ledger, '{"version": 1, "batches": [{"id": 3}]}');
    await expect(generateSamples(options('openai', server, dir, { batch: true }))).rejects.toThrow(`${ledger}`);
    expect(readFileSync(ledger, 'utf8')).toBe('{"version": 1, "batches": [{"id": 3}]}');
  });

  it('works without the response cache: answers come from the batch read in this run', async () => {
    const server = await fake('anthropic', { plan: () => ({ polls: 2 }) });
    const dir = tmp();
    const r = await generateSamples(options('anthropic', server, dir, { batch: true, cacheDir: null }));
    expect(r.done).toBe(12);
    expect(r.errors).toBe(0);
    expect(server.batches).toHaveLength(1);
  });

  it('run --batch-detach stops after generation while batches are in flight; the same call evaluates and reports', async () => {
    const server = await fake('openai', { plan: () => ({ polls: Number.POSITIVE_INFINITY }) });
    const dir = tmp();
    const run = () =>
      runPipeline({
        dataset,
        models: ['openai:fake-coder'],
        outDir: path.join(dir, 'run'),
        experiments: ['direct-generation'],
        generate: { tasks: TASKS, baseURL: server.baseURL, env: { OPENAI_API_KEY: 'k', CODESECEVAL_BATCH_POLL_MS: '5' }, cacheDir: path.join(dir, 'cache'), batch: true, batchDetach: true },
      });
    const first = await run();
    expect(first.batchesInFlight).toEqual([server.batches[0]!.id]);
    expect(first.evaluated).toBeNull();
    expect(existsSync(path.join(dir, 'run', 'results.jsonl'))).toBe(false);
    server.batches[0]!.plan.polls = 0;
    const second = await run();
    expect(second.batchesInFlight).toEqual([]);
    expect(second.evaluated?.total).toBe(3);
    expect(readFileSync(path.join(dir, 'run', 'report.md'), 'utf8')).toContain('## Results made at batch prices');
    expect(server.batches).toHaveLength(1);
  }, 120_000);

  it('run --batch with two models submits both batches before waiting for either', async () => {
    const server = await fake('openai', { plan: () => ({ polls: 3 }) });
    const dir = tmp();
    const summary = await runPipeline({
      dataset,
      models: ['a=openai:fake-coder', 'b=openai:other-coder'],
      outDir: path.join(dir, 'run'),
      experiments: ['direct-generation'],
      generate: { tasks: TASKS, baseURL: server.baseURL, env: { OPENAI_API_KEY: 'k', CODESECEVAL_BATCH_POLL_MS: '5' }, cacheDir: path.join(dir, 'cache'), batch: true },
    });
    expect(summary.batchesInFlight).toEqual([]);
    expect(server.batches).toHaveLength(2);
    const created = server.log.map((l, i) => (l === 'POST /v1/batches' ? i : -1)).filter((i) => i >= 0);
    const firstRead = server.log.findIndex((l) => /^GET \/v1\/files\/file-out-\d+\/content$/.test(l));
    expect(created).toHaveLength(2);
    expect(created[1]!).toBeLessThan(firstRead);
    expect(summary.generated.reduce((n, g) => n + g.batched, 0)).toBe(6);
    expect(summary.evaluated?.total).toBe(6);
  }, 120_000);

  for (const kind of ['openai', 'anthropic'] as const) {
    it(`${kind}: status checks and result reads that fail with 503 are tried again`, async () => {
      const server = await fake(kind, { plan: () => ({ polls: 1, failChecks: 2, failReads: 1 }) });
      const dir = tmp();
      const notices: string[] = [];
      const r = await generateSamples(options(kind, server, dir, { batch: true, onNotice: (m) => notices.push(m) }));
      expect(r.done).toBe(12);
      expect(r.errors).toBe(0);
      expect(server.batches).toHaveLength(1);
      expect(server.batches[0]).toMatchObject({ failedChecks: 2, failedReads: 1 });
      expect(notices.some((n) => n.includes('status check failed'))).toBe(true);
      expect(notices.some((n) => n.includes('reading its results failed'))).toBe(true);
    });
  }

  it('refuses --batch for a model without a batch API, before any work', async () => {
    const dir = tmp();
    await expect(generateSamples({ dataset, model: 'reference:secure', outFile: path.join(dir, 's.jsonl'), tasks: TASKS, batch: true })).rejects.toThrow(
      /--batch: reference:secure has no batch API/,
    );
    expect(existsSync(path.join(dir, 's.jsonl'))).toBe(false);
    await expect(runPipeline({ dataset, models: ['openai:x', 'reference:secure'], outDir: path.join(dir, 'run'), generate: { env: { OPENAI_API_KEY: 'k' }, batch: true } })).rejects.toThrow(
      /--batch: reference:secure has no batch API/,
    );
    expect(existsSync(path.join(dir, 'run'))).toBe(false);
  });
});
