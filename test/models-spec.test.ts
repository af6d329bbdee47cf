import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../src/dataset/load.js';
import type { Dataset } from '../src/dataset/types.js';
import { createProvider } from '../src/models/create.js';
import { AnthropicProvider } from '../src/models/anthropic.js';
import { OpenAIChatProvider, OpenAICompletionsProvider } from '../src/models/openai.js';
import { ReferenceProvider } from '../src/models/reference.js';
import { ReplayProvider } from '../src/models/replay.js';
import { parseModelSpec } from '../src/models/spec.js';
import { UserError } from '../src/util/errors.js';

let dataset: Dataset;
beforeAll(() => {
  dataset = loadDataset(path.resolve('../shared/datasets/codeseceval'));
});
const opts = (env: Record<string, string>, baseURL?: string) => ({ env, baseURL, maxRetries: 0, timeoutMs: 1000 });

describe('model specs', () => {
  it('parses every form, splitting only at the first colon', () => {
    expect(parseModelSpec('openai:gpt-4o')).toEqual({ kind: 'openai', model: 'gpt-4o' });
    expect(parseModelSpec('openai:qwen2.5-coder:7b')).toEqual({ kind: 'openai', model: 'qwen2.5-coder:7b' });
    expect(parseModelSpec('openai-completions:bigcode/starcoder2-3b')).toEqual({
      kind: 'openai-completions',
      model: 'bigcode/starcoder2-3b',
    });
    expect(parseModelSpec('anthropic:claude-x')).toEqual({ kind: 'anthropic', model: 'claude-x' });
    expect(parseModelSpec('reference:insecure')).toEqual({ kind: 'reference', variant: 'insecure' });
    expect(parseModelSpec('replay:C:/x.jsonl')).toEqual({ kind: 'replay', file: 'C:/x.jsonl' });
  });

  it.each([
    ['gemini:pro', /unknown provider "gemini".*openai:<model>, openai-completions:<model>, anthropic:<model>, reference:secure/],
    ['gpt-4o', /no provider prefix/],
    ['openai:', /no model name/],
    ['reference:best', /reference takes "secure" or "insecure"/],
    ['replay:', /no file/],
  ])('refuses %s with the valid forms', (spec, msg) => {
    expect(() => parseModelSpec(spec)).toThrow(UserError);
    expect(() => parseModelSpec(spec)).toThrow(msg);
  });
});

describe('createProvider', () => {
  it('needs the API key before anything else happens', async () => {
    await expect(createProvider('openai:m', opts({}), dataset)).rejects.toThrow(/needs OPENAI_API_KEY/);
    await expect(createProvider('openai-completions:m', opts({ OPENAI_API_KEY: ' ' }), dataset)).rejects.toThrow(/needs OPENAI_API_KEY/);
    await expect(createProvider('anthropic:m', opts({ OPENAI_API_KEY: 'k' }), dataset)).rejects.toThrow(/needs ANTHROPIC_API_KEY/);
  });

  it('takes the base URL from the flag, else the environment, and checks it', async () => {
    const env = { OPENAI_API_KEY: 'k', OPENAI_BASE_URL: 'http://127.0.0.1:9/v1', ANTHROPIC_API_KEY: 'a' };
    const fromEnv = await createProvider('openai:m', opts(env), dataset);
    expect(fromEnv).toBeInstanceOf(OpenAIChatProvider);
    expect(fromEnv.cacheIdentity).toEqual({ provider: 'openai', model: 'm', baseURL: 'http://127.0.0.1:9/v1' });
    const fromFlag = await createProvider('openai-completions:m', opts(env, 'http://127.0.0.1:8/v1'), dataset);
    expect(fromFlag).toBeInstanceOf(OpenAICompletionsProvider);
    expect(fromFlag.cacheIdentity?.baseURL).toBe('http://127.0.0.1:8/v1');
    const claude = await createProvider('anthropic:c', opts(env), dataset);
    expect(claude).toBeInstanceOf(AnthropicProvider);
    expect(claude.cacheIdentity?.baseURL).toBe('https://api.anthropic.com');
    await expect(createProvider('openai:m', opts(env, 'localhost:8080'), dataset)).rejects.toThrow(
      /--base-url "localhost:8080" is not an http\(s\) URL/,
    );
  });

  it('needs no key for reference and replay, and caches neither', async () => {
    const ref = await createProvider('reference:secure', opts({}), dataset);
    expect(ref).toBeInstanceOf(ReferenceProvider);
    expect(ref.cacheIdentity).toBeNull();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cse-spec-'));
    const file = path.join(dir, 'r.jsonl');
    writeFileSync(file, `${JSON.stringify({ task_id: 'CWE-20_01', solution: 'x = 1' })}\n`);
    const rep = await createProvider(`replay:${file}`, opts({}), dataset);
    expect(rep).toBeInstanceOf(ReplayProvider);
    expect(rep.cacheIdentity).toBeNull();
  });

  it('names the replay file and line of a bad record', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cse-spec-'));
    const file = path.join(dir, 'r.jsonl');
    writeFileSync(file, `${JSON.stringify({ task_id: 'CWE-20_01', solution: 'x' })}\n{"task_id": "CWE-20_01"}\n`);
    await expect(createProvider(`replay:${file}`, opts({}), dataset)).rejects.toThrow(
      `${file}:2: field "solution": needs "solution" or "completion"`,
    );
    writeFileSync(file, `${JSON.stringify({ task_id: 'NOPE', solution: 'x' })}\n`);
    await expect(createProvider(`replay:${file}`, opts({}), dataset)).rejects.toThrow(`${file}:1: task_id "NOPE" is not in the dataset`);
    writeFileSync(file, '{"task_id": \n');
    await expect(createProvider(`replay:${file}`, opts({}), dataset)).rejects.toThrow(`${file}:1: invalid JSON`);
  });
});
