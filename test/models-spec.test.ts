import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../src/benchmarks/index.js';
import { createProvider, parseModelArg } from '../src/models/registry.js';
import { AnthropicProvider } from '../src/models/anthropic.js';
import { OpenAIChatProvider, OpenAICompletionsProvider } from '../src/models/openai.js';
import { ReferenceProvider } from '../src/models/reference.js';
import { ReplayProvider } from '../src/models/replay.js';
import { UserError } from '../src/core/errors.js';
import type { Dataset } from '../src/core/task.js';
import { CODESECEVAL_DIR, HAVE_CODESECEVAL, describeWithDataset } from './helpers/datasets.js';

let dataset: Dataset;
beforeAll(() => {
  // The suites that use the data are skipped without it; the others run anyway.
  if (!HAVE_CODESECEVAL) return;
  dataset = loadDataset(CODESECEVAL_DIR);
});
const opts = (env: Record<string, string>, baseURL?: string) => ({ env, baseURL, maxRetries: 0, timeoutMs: 1000 });

/** The provider kind and its parsed fields, as the old single-union parser gave them. */
const parseModelSpec = (arg: string) => {
  const m = parseModelArg(arg);
  return { kind: m.entry.kind, ...m.parsed };
};

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

  it('takes LABEL=SPEC: the label names the run, the spec says what answers', () => {
    const m = parseModelArg('gpt4o=openai:gpt-4o');
    expect({ name: m.name, spec: m.spec, label: m.label, kind: m.entry.kind, parsed: m.parsed }).toEqual({
      name: 'gpt4o',
      spec: 'openai:gpt-4o',
      label: 'gpt4o',
      kind: 'openai',
      parsed: { model: 'gpt-4o' },
    });
    expect(parseModelArg('agents=replay:runs/a=b.jsonl').parsed).toEqual({ file: 'runs/a=b.jsonl' });
    // An `=` inside a spec is not a label.
    expect(parseModelArg('replay:runs/a=b.jsonl')).toMatchObject({ name: 'replay:runs/a=b.jsonl', label: null });
    expect(parseModelArg('openai:gpt-4o').name).toBe('openai:gpt-4o');
    expect(() => parseModelArg('my model=openai:x')).toThrow(/the label "my model" must be letters/);
    expect(() => parseModelArg('x=gemini:pro')).toThrow(/unknown provider "gemini"/);
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

describeWithDataset('createProvider', () => {
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
      `${file}:2: solution: needs "solution" or "completion"`,
    );
    writeFileSync(file, `${JSON.stringify({ task_id: 'NOPE', solution: 'x' })}\n`);
    await expect(createProvider(`replay:${file}`, opts({}), dataset)).rejects.toThrow(`${file}:1: task_id: "NOPE" is not in the dataset`);
    writeFileSync(file, '{"task_id": \n');
    await expect(createProvider(`replay:${file}`, opts({}), dataset)).rejects.toThrow(`${file}:1: invalid JSON`);
  });
});
