import { afterEach, beforeAll, expect, it } from 'vitest';
import { loadDataset } from '../src/benchmarks/index.js';
import { OpenAIChatProvider, OpenAICompletionsProvider } from '../src/models/openai.js';
import { retryPolicy } from '../src/models/retry.js';
import { type FakeReply, type FakeServer, startFakeOpenAI } from './helpers/fake-openai.js';
import { ProviderError } from '../src/core/model.js';
import type { Task } from '../src/core/task.js';
import { CODESECEVAL_DIR, describeWithDataset } from './helpers/datasets.js';

const DATASET = CODESECEVAL_DIR;
let task: Task;
let server: FakeServer | null = null;

beforeAll(() => {
  task = loadDataset(DATASET).byId.get('CWE-020_codeql_1')!;
});
afterEach(async () => {
  await server?.close();
  server = null;
});

interface SettingsOver {
  maxRetries?: number | undefined;
  timeoutMs?: number;
  budgetMs?: number;
}

/** Short backoff so that retries cost milliseconds; maxRetries 2 unless given (undefined: budget only). */
const settings = (baseURL: string, over: SettingsOver = {}) => ({
  apiKey: 'test-key',
  baseURL,
  timeoutMs: over.timeoutMs ?? 10_000,
  retry: retryPolicy({
    baseDelayMs: 2,
    maxDelayMs: 20,
    budgetMs: over.budgetMs ?? 20_000,
    ...('maxRetries' in over ? (over.maxRetries !== undefined ? { maxRetries: over.maxRetries } : {}) : { maxRetries: 2 }),
  }),
});

const chatPrompt = { style: 'chat' as const, system: 'be brief', user: 'write f' };

async function failureOf(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a failure');
}

describeWithDataset('OpenAI chat provider', () => {
  it('sends the prompt and sampling parameters and reads text, usage and finish reason', async () => {
    server = await startFakeOpenAI(() => ({ text: 'def f(): pass', usage: { input: 11, output: 7 } }));
    const p = new OpenAIChatProvider('openai:m1', 'm1', settings(server.baseURL));
    const r = await p.complete({ prompt: chatPrompt, task, sampleIndex: 3, params: { maxTokens: 99, seed: 40, temperature: 0.5 } });
    expect(r).toMatchObject({ text: 'def f(): pass', usage: { input_tokens: 11, output_tokens: 7 }, finishReason: 'stop' });
    expect(server.requests).toHaveLength(1);
    const req = server.requests[0]!;
    expect(req.path).toBe('/v1/chat/completions');
    expect(req.headers.authorization).toBe('Bearer test-key');
    expect(req.body).toMatchObject({
      model: 'm1',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'write f' },
      ],
      temperature: 0.5,
      // Compatible servers get max_tokens; the seed moves with the sample index.
      max_tokens: 99,
      seed: 43,
    });
    expect(req.body).not.toHaveProperty('top_p');
    expect(req.body).not.toHaveProperty('n');
  });

  it('waits as long as Retry-After says after a 429, then succeeds', async () => {
    server = await startFakeOpenAI((_r, i) =>
      i === 0 ? { status: 429, headers: { 'retry-after': '1' }, json: { error: { message: 'slow down' } } } : { text: 'ok' },
    );
    const p = new OpenAIChatProvider('openai:m', 'm', settings(server.baseURL));
    const r = await p.complete({ prompt: chatPrompt, task, sampleIndex: 0, params: { maxTokens: 10 } });
    expect(r.text).toBe('ok');
    expect(server.requests).toHaveLength(2);
    expect(server.requests[1]!.at - server.requests[0]!.at).toBeGreaterThanOrEqual(950);
  });

  it('gives up after --max-retries on 500s with a non-fatal error', async () => {
    server = await startFakeOpenAI(() => ({ status: 500, headers: { 'retry-after-ms': '10' }, json: { error: { message: 'boom' } } }));
    const p = new OpenAIChatProvider('openai:m', 'm', settings(server.baseURL, { maxRetries: 2 }));
    const e = await failureOf(p.complete({ prompt: chatPrompt, task, sampleIndex: 0, params: { maxTokens: 10 } }));
    expect(e).toBeInstanceOf(ProviderError);
    expect((e as ProviderError).fatal).toBe(false);
    expect((e as Error).message).toMatch(/500/);
    expect(server.requests).toHaveLength(3);
  });

  it.each([401, 403, 404])('treats %i as fatal without retrying', async (status) => {
    server = await startFakeOpenAI(() => ({ status, json: { error: { message: `no (${status})` } } }));
    const p = new OpenAIChatProvider('openai:m', 'm', settings(server.baseURL));
    const e = await failureOf(p.complete({ prompt: chatPrompt, task, sampleIndex: 0, params: { maxTokens: 10 } }));
    expect(e).toBeInstanceOf(ProviderError);
    expect((e as ProviderError).fatal).toBe(true);
    expect((e as Error).message).toContain('openai:m');
    expect(server.requests).toHaveLength(1);
  });

  it('reports a slow server as a timeout of this sample', async () => {
    server = await startFakeOpenAI(() => ({ text: 'late', delayMs: 3000 }));
    const p = new OpenAIChatProvider('openai:m', 'm', settings(server.baseURL, { maxRetries: 1, timeoutMs: 200 }));
    const e = await failureOf(p.complete({ prompt: chatPrompt, task, sampleIndex: 0, params: { maxTokens: 10 } }));
    expect(e).toBeInstanceOf(ProviderError);
    expect((e as ProviderError).fatal).toBe(false);
    expect((e as Error).message).toMatch(/^openai:m: http:\/\/127\.0\.0\.1:\d+\/v1 sent no complete answer within 0\.2 s \(--request-timeout\) \(2 attempts in/);
    // The timeout was retried once.
    expect(server.requests).toHaveLength(2);
  });

  it('rejects a malformed answer with the field that is wrong', async () => {
    server = await startFakeOpenAI(() => ({ json: { choices: [] } }));
    const p = new OpenAIChatProvider('openai:m', 'm', settings(server.baseURL));
    const e = await failureOf(p.complete({ prompt: chatPrompt, task, sampleIndex: 0, params: { maxTokens: 10 } }));
    expect(e).toBeInstanceOf(ProviderError);
    expect((e as Error).message).toMatch(/malformed response: choices: no choices/);
  });

  it('reads a null content (a reasoning model that spent its tokens thinking) as empty text', async () => {
    server = await startFakeOpenAI(() => ({
      json: { choices: [{ message: { role: 'assistant', content: null }, finish_reason: 'length' }] },
    }));
    const p = new OpenAIChatProvider('openai:m', 'm', settings(server.baseURL));
    const r = await p.complete({ prompt: chatPrompt, task, sampleIndex: 0, params: { maxTokens: 10 } });
    expect(r).toMatchObject({ text: '', usage: null, finishReason: 'length' });
  });

  it('calls an unreachable server fatal', async () => {
    server = await startFakeOpenAI(() => ({ text: 'x' }));
    const url = server.baseURL;
    await server.close();
    server = null;
    const p = new OpenAIChatProvider('openai:m', 'm', settings(url, { maxRetries: 0 }));
    const e = await failureOf(p.complete({ prompt: chatPrompt, task, sampleIndex: 0, params: { maxTokens: 10 } }));
    expect(e).toBeInstanceOf(ProviderError);
    expect((e as ProviderError).fatal).toBe(true);
    expect((e as Error).message).toMatch(/cannot reach the server/);
  });

  it('lets an abort through as an abort, not a sample failure', async () => {
    server = await startFakeOpenAI(() => ({ text: 'late', delayMs: 5000 }));
    const p = new OpenAIChatProvider('openai:m', 'm', settings(server.baseURL));
    const ac = new AbortController();
    const pending = p.complete({ prompt: chatPrompt, task, sampleIndex: 0, params: { maxTokens: 10 }, signal: ac.signal });
    setTimeout(() => ac.abort(), 100);
    const e = await failureOf(pending);
    expect(e).not.toBeInstanceOf(ProviderError);
  });
});

describeWithDataset('OpenAI completions provider', () => {
  it('sends the prompt to continue with max_tokens and stop sequences', async () => {
    server = await startFakeOpenAI(() => ({ text: '    return 1\n', finishReason: 'length' }));
    const p = new OpenAICompletionsProvider('openai-completions:base', 'base', settings(server.baseURL));
    const r = await p.complete({
      prompt: { style: 'completion', text: 'def f():\n' },
      task,
      sampleIndex: 0,
      params: { maxTokens: 64, stop: ['\nprint('], topP: 0.9 },
    });
    expect(r).toMatchObject({ text: '    return 1\n', finishReason: 'length' });
    const req = server.requests[0]!;
    expect(req.path).toBe('/v1/completions');
    expect(req.body).toMatchObject({ model: 'base', prompt: 'def f():\n', max_tokens: 64, stop: ['\nprint('], top_p: 0.9 });
    expect(req.body).not.toHaveProperty('temperature');
    expect(req.body).not.toHaveProperty('seed');
  });
});

describeWithDataset('OpenAI provider: deadlines and retries', () => {
  const ask = (p: OpenAIChatProvider, signal?: AbortSignal) =>
    p.complete({ prompt: chatPrompt, task, sampleIndex: 0, params: { maxTokens: 10 }, ...(signal ? { signal } : {}) });

  it('times out a server that sends headers and then stalls, and retries it', async () => {
    server = await startFakeOpenAI((_r, i) => (i === 0 ? { text: 'never finished', stallAfterHeaders: true } : { text: 'ok' }));
    const p = new OpenAIChatProvider('openai:m', 'm', settings(server.baseURL, { timeoutMs: 1000 }));
    const r = await ask(p);
    expect(r.text).toBe('ok');
    expect(server.requests).toHaveLength(2);
    expect(p.retrier.stats).toEqual({ attempts: 2, retries: 1 });
  });

  it('records a server that always stalls after its headers as this sample failing', async () => {
    server = await startFakeOpenAI(() => ({ text: 'x', stallAfterHeaders: true }));
    const p = new OpenAIChatProvider('openai:m', 'm', settings(server.baseURL, { timeoutMs: 200, maxRetries: 1 }));
    const e = await failureOf(ask(p));
    expect(e).toBeInstanceOf(ProviderError);
    expect((e as ProviderError).fatal).toBe(false);
    expect((e as Error).message).toContain(`${server.baseURL} sent no complete answer within 0.2 s (--request-timeout)`);
    expect(server.requests).toHaveLength(2);
  });

  it('outlasts a 429/500 storm longer than the SDK retries ever did', async () => {
    server = await startFakeOpenAI((_r, i) =>
      i < 12 ? { status: i % 2 ? 500 : 429, json: { error: { message: `storm ${i}` } } } : { text: 'after the storm' },
    );
    const p = new OpenAIChatProvider('openai:m', 'm', settings(server.baseURL, { maxRetries: undefined }));
    const r = await ask(p);
    expect(r.text).toBe('after the storm');
    expect(server.requests).toHaveLength(13);
  });

  it('honours Retry-After in seconds and retry-after-ms', async () => {
    server = await startFakeOpenAI((_r, i): FakeReply =>
      i === 0
        ? { status: 429, headers: { 'retry-after': '0.3' }, json: { error: { message: 'slow down' } } }
        : i === 1
          ? { status: 503, headers: { 'retry-after-ms': '40' }, json: { error: { message: 'busy' } } }
          : { text: 'ok' },
    );
    const p = new OpenAIChatProvider('openai:m', 'm', settings(server.baseURL, { maxRetries: undefined }));
    expect((await ask(p)).text).toBe('ok');
    expect(server.requests).toHaveLength(3);
  });

  it.each([
    ['seconds', '120'],
    ['an HTTP date', new Date(Date.now() + 3_600_000).toUTCString()],
  ])('gives up at once when Retry-After (%s) is beyond the retry budget', async (_kind, value) => {
    server = await startFakeOpenAI(() => ({ status: 429, headers: { 'retry-after': value }, json: { error: { message: 'quota' } } }));
    const p = new OpenAIChatProvider('openai:m', 'm', settings(server.baseURL, { maxRetries: undefined, budgetMs: 5_000 }));
    const e = await failureOf(ask(p));
    expect(e).toBeInstanceOf(ProviderError);
    expect((e as ProviderError).fatal).toBe(false);
    expect((e as Error).message).toMatch(/^openai:m: 429 quota; the server asked to wait \d+(\.\d)? s; retry budget of 5 s spent \(--retry-budget\)$/);
    expect(server.requests).toHaveLength(1);
  });

  it('stops retrying when the budget is spent', async () => {
    server = await startFakeOpenAI(() => ({ status: 500, headers: { 'retry-after-ms': '60' }, json: { error: { message: 'down' } } }));
    const p = new OpenAIChatProvider('openai:m', 'm', settings(server.baseURL, { maxRetries: undefined, budgetMs: 250 }));
    const e = await failureOf(ask(p));
    expect((e as ProviderError).fatal).toBe(false);
    expect((e as Error).message).toMatch(/^openai:m: 500 down \(\d+ attempts in [\d.]+ s\); the server asked to wait 0\.1 s; retry budget of 0\.3 s spent/);
    // 60 ms apart within 250 ms: a handful of attempts, not one and not hundreds.
    expect(server.requests.length).toBeGreaterThanOrEqual(3);
    expect(server.requests.length).toBeLessThanOrEqual(6);
  });

  it('names the server when it answers invalid JSON, and retries that a few times only', async () => {
    server = await startFakeOpenAI(() => ({ body: '{"choices": [{"message": ' }));
    const p = new OpenAIChatProvider('openai:m', 'm', settings(server.baseURL, { maxRetries: undefined }));
    const e = await failureOf(ask(p));
    expect(e).toBeInstanceOf(ProviderError);
    expect((e as ProviderError).fatal).toBe(false);
    expect((e as Error).message).toContain(`openai:m: ${server.baseURL} answered invalid JSON (`);
    expect(server.requests).toHaveLength(3);
  });

  it('names the server when it answers something that is not JSON at all', async () => {
    server = await startFakeOpenAI((_r, i) =>
      i === 0 ? { contentType: 'text/html', body: '<html><body>502 Bad Gateway</body></html>' } : { text: 'ok' },
    );
    const p = new OpenAIChatProvider('openai:m', 'm', settings(server.baseURL));
    expect((await ask(p)).text).toBe('ok');
    server.requests.length = 0;
    const always = await startFakeOpenAI(() => ({ contentType: 'text/html', body: '<html>proxy error</html>' }));
    try {
      const q = new OpenAIChatProvider('openai:m', 'm', settings(always.baseURL));
      const e = await failureOf(ask(q));
      expect((e as Error).message).toContain(`${always.baseURL} answered a body that is not JSON: "<html>proxy error</html>"`);
    } finally {
      await always.close();
    }
  });

  it('retries a connection dropped without an answer', async () => {
    server = await startFakeOpenAI((_r, i) => (i < 2 ? { hangUp: true } : { text: 'ok' }));
    const p = new OpenAIChatProvider('openai:m', 'm', settings(server.baseURL, { maxRetries: undefined }));
    expect((await ask(p)).text).toBe('ok');
    expect(server.requests).toHaveLength(3);
  });

  it('retries an answer cut off in the middle of its body', async () => {
    server = await startFakeOpenAI((_r, i) => (i === 0 ? { text: 'cut', cutAfterHeaders: true } : { text: 'ok' }));
    const p = new OpenAIChatProvider('openai:m', 'm', settings(server.baseURL, { maxRetries: 0 }));
    const e = await failureOf(ask(p));
    expect((e as ProviderError).fatal).toBe(false);
    expect((e as Error).message).toBe(`openai:m: ${server.baseURL} closed the connection in the middle of its answer (other side closed, UND_ERR_SOCKET)`);
    const q = new OpenAIChatProvider('openai:m', 'm', settings(server.baseURL));
    expect((await ask(q)).text).toBe('ok');
  });

  it('calls a server that refuses from the start unreachable after a few quick attempts', async () => {
    server = await startFakeOpenAI(() => ({ text: 'x' }));
    const url = server.baseURL;
    await server.close();
    server = null;
    const p = new OpenAIChatProvider('openai:m', 'm', settings(url, { maxRetries: undefined }));
    const e = await failureOf(ask(p));
    expect((e as ProviderError).fatal).toBe(true);
    expect((e as Error).message).toMatch(new RegExp(`^openai:m: cannot reach the server at ${url.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: .*\\(3 attempts in`));
    expect(p.retrier.stats.attempts).toBe(3);
  });

  it('gives a server that answered before and then went away the whole budget, then stops the run', async () => {
    server = await startFakeOpenAI(() => ({ text: 'ok' }));
    const url = server.baseURL;
    const p = new OpenAIChatProvider('openai:m', 'm', settings(url, { maxRetries: undefined, budgetMs: 300 }));
    expect((await ask(p)).text).toBe('ok');
    await server.close();
    server = null;
    const e = await failureOf(ask(p));
    expect((e as ProviderError).fatal).toBe(true);
    expect((e as Error).message).toMatch(/cannot reach the server at .* retry budget of 0.3 s spent/);
    // More than the three attempts a never-seen server gets.
    expect(p.retrier.stats.attempts - 1).toBeGreaterThan(3);
  });

  it('lets an abort during a backoff wait through as an abort', async () => {
    server = await startFakeOpenAI(() => ({ status: 429, headers: { 'retry-after': '5' }, json: { error: { message: 'wait' } } }));
    const p = new OpenAIChatProvider('openai:m', 'm', settings(server.baseURL, { maxRetries: undefined }));
    const ac = new AbortController();
    const pending = ask(p, ac.signal);
    setTimeout(() => ac.abort(), 100);
    const e = await failureOf(pending);
    expect(e).not.toBeInstanceOf(ProviderError);
    expect(server.requests).toHaveLength(1);
  });

  it('does not retry a 400, and follows x-should-retry', async () => {
    server = await startFakeOpenAI((_r, i) =>
      i === 0
        ? { status: 400, json: { error: { message: 'context too long' } } }
        : i === 1
          ? { status: 400, headers: { 'x-should-retry': 'true' }, json: { error: { message: 'try again' } } }
          : { text: 'ok' },
    );
    const p = new OpenAIChatProvider('openai:m', 'm', settings(server.baseURL, { maxRetries: undefined }));
    const e = await failureOf(ask(p));
    expect((e as Error).message).toBe('openai:m: 400 context too long');
    expect((await ask(p)).text).toBe('ok');
    expect(server.requests).toHaveLength(3);
  });
});
