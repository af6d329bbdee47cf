import { afterEach, beforeAll, expect, it } from 'vitest';
import { loadDataset } from '../src/benchmarks/index.js';
import { AnthropicProvider } from '../src/models/anthropic.js';
import { retryPolicy } from '../src/models/retry.js';
import { anthropicError, startFakeAnthropic } from './helpers/fake-anthropic.js';
import type { FakeServer } from './helpers/fake-openai.js';
import { ProviderError } from '../src/core/model.js';
import type { Task } from '../src/core/task.js';
import { CODESECEVAL_DIR, describeWithDataset } from './helpers/datasets.js';

const DATASET = CODESECEVAL_DIR;
let task: Task;
let server: FakeServer | null = null;

beforeAll(() => {
  task = loadDataset(DATASET).byId.get('CWE-20_01')!;
});
afterEach(async () => {
  await server?.close();
  server = null;
});

/** maxRetries null: as many as the budget allows. */
const settings = (baseURL: string, maxRetries: number | null = 2, timeoutMs = 10_000) => ({
  apiKey: 'sk-ant-test',
  baseURL,
  timeoutMs,
  retry: retryPolicy({ baseDelayMs: 2, maxDelayMs: 20, budgetMs: 20_000, ...(maxRetries !== null ? { maxRetries } : {}) }),
});
const prompt = { style: 'chat' as const, system: 'sys text', user: 'user text' };

describeWithDataset('Anthropic provider', () => {
  it('sends system, user message and max_tokens, and no seed', async () => {
    server = await startFakeAnthropic(() => ({ text: 'answer', usage: { input: 20, output: 5 } }));
    const p = new AnthropicProvider('anthropic:claude-x', 'claude-x', settings(server.baseURL));
    const r = await p.complete({ prompt, task, sampleIndex: 2, params: { maxTokens: 300, seed: 7 } });
    expect(r).toMatchObject({ text: 'answer', usage: { input_tokens: 20, output_tokens: 5 }, finishReason: 'end_turn' });
    const req = server.requests[0]!;
    expect(req.path).toBe('/v1/messages');
    // SDK 1.x sends the key as a bearer token; older ones used x-api-key.
    expect(String(req.headers['x-api-key'] ?? req.headers.authorization)).toMatch(/sk-ant-test$/);
    expect(req.body).toEqual({ model: 'claude-x', max_tokens: 300, system: 'sys text', messages: [{ role: 'user', content: 'user text' }] });
  });

  it('sends temperature and top_p only when they were set', async () => {
    server = await startFakeAnthropic(() => ({ text: 'a' }));
    const p = new AnthropicProvider('anthropic:c', 'c', settings(server.baseURL));
    await p.complete({ prompt, task, sampleIndex: 0, params: { maxTokens: 10, temperature: 0.2 } });
    expect(server.requests[0]!.body).toMatchObject({ temperature: 0.2 });
    expect(server.requests[0]!.body).not.toHaveProperty('top_p');
  });

  it('keeps only the text blocks of an answer with a thinking block', async () => {
    server = await startFakeAnthropic(() => ({ text: 'final' }), { thinking: 'hmm, let me think' });
    const p = new AnthropicProvider('anthropic:c', 'c', settings(server.baseURL));
    const r = await p.complete({ prompt, task, sampleIndex: 0, params: { maxTokens: 10 } });
    expect(r.text).toBe('final');
  });

  it('retries an overloaded server and records max_tokens as the finish reason', async () => {
    server = await startFakeAnthropic((_r, i) =>
      i < 2
        ? { status: 529, headers: { 'retry-after-ms': '20' }, json: anthropicError('overloaded_error', 'Overloaded') }
        : { text: 'cut', finishReason: 'max_tokens' },
    );
    const p = new AnthropicProvider('anthropic:c', 'c', settings(server.baseURL, 3));
    const r = await p.complete({ prompt, task, sampleIndex: 0, params: { maxTokens: 10 } });
    expect(r).toMatchObject({ text: 'cut', finishReason: 'max_tokens' });
    expect(server.requests).toHaveLength(3);
  });

  it('fails for good on a bad key, and per sample on a bad request', async () => {
    server = await startFakeAnthropic((req) =>
      req.body?.model === 'bad-key'
        ? { status: 401, json: anthropicError('authentication_error', 'invalid x-api-key') }
        : { status: 400, json: anthropicError('invalid_request_error', 'prompt is too long') },
    );
    const bad = new AnthropicProvider('anthropic:bad-key', 'bad-key', settings(server.baseURL));
    const e1 = await bad.complete({ prompt, task, sampleIndex: 0, params: { maxTokens: 10 } }).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(ProviderError);
    expect((e1 as ProviderError).fatal).toBe(true);
    expect((e1 as Error).message).toMatch(/invalid x-api-key/);
    const other = new AnthropicProvider('anthropic:c', 'c', settings(server.baseURL));
    const e2 = await other.complete({ prompt, task, sampleIndex: 0, params: { maxTokens: 10 } }).catch((e: unknown) => e);
    expect(e2).toBeInstanceOf(ProviderError);
    expect((e2 as ProviderError).fatal).toBe(false);
    expect((e2 as Error).message).toMatch(/prompt is too long/);
    // Neither 401 nor 400 is retried.
    expect(server.requests).toHaveLength(2);
  });
});

describeWithDataset('Anthropic provider: deadlines and retries', () => {
  const ask = (p: AnthropicProvider) => p.complete({ prompt, task, sampleIndex: 0, params: { maxTokens: 10 } });

  it('times out a server that stalls after its headers, and retries it', async () => {
    server = await startFakeAnthropic((_r, i) => (i === 0 ? { text: 'never', stallAfterHeaders: true } : { text: 'ok' }));
    const p = new AnthropicProvider('anthropic:c', 'c', settings(server.baseURL, null, 1000));
    expect((await ask(p)).text).toBe('ok');
    expect(server.requests).toHaveLength(2);
  });

  it('outlasts a long run of 529 overloaded answers', async () => {
    server = await startFakeAnthropic((_r, i) => (i < 9 ? { status: 529, json: anthropicError('overloaded_error', 'Overloaded') } : { text: 'ok' }));
    const p = new AnthropicProvider('anthropic:c', 'c', settings(server.baseURL, null));
    expect((await ask(p)).text).toBe('ok');
    expect(server.requests).toHaveLength(10);
  });

  it('names the server when it answers invalid JSON', async () => {
    server = await startFakeAnthropic(() => ({ body: '{"content": [' }));
    const p = new AnthropicProvider('anthropic:c', 'c', settings(server.baseURL, null));
    const e = await ask(p).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ProviderError);
    expect((e as ProviderError).fatal).toBe(false);
    expect((e as Error).message).toContain(`anthropic:c: ${server.baseURL} answered invalid JSON (`);
  });
});
