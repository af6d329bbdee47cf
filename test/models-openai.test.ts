import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../src/dataset/load.js';
import type { Task } from '../src/dataset/types.js';
import { OpenAIChatProvider, OpenAICompletionsProvider } from '../src/models/openai.js';
import { ProviderError } from '../src/models/provider.js';
import { type FakeServer, startFakeOpenAI } from './helpers/fake-openai.js';

const DATASET = path.resolve('../shared/datasets/codeseceval');
let task: Task;
let server: FakeServer | null = null;

beforeAll(() => {
  task = loadDataset(DATASET).byId.get('CWE-020_codeql_1')!;
});
afterEach(async () => {
  await server?.close();
  server = null;
});

const settings = (baseURL: string, over: Partial<{ maxRetries: number; timeoutMs: number }> = {}) => ({
  apiKey: 'test-key',
  baseURL,
  maxRetries: over.maxRetries ?? 2,
  timeoutMs: over.timeoutMs ?? 10_000,
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

describe('OpenAI chat provider', () => {
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
    expect((e as Error).message).toMatch(/no answer within/);
    // The SDK retried the timeout once.
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

describe('OpenAI completions provider', () => {
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
