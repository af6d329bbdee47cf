import { describe, expect, it } from 'vitest';
import { UserError } from '../../../src/core/errors.js';
import type { CompletionRequest, ModelProvider, Prompt } from '../../../src/core/model.js';
import type { Dataset, Task } from '../../../src/core/task.js';
import { createProvider, MODEL_SPEC_FORMS, parseModelArg, PROVIDERS, samplingWarnings, type ProviderEntry } from '../../../src/models/registry.js';
import type { FakeHandler, FakeServer } from '../fake-openai.js';

/**
 * What a contract run needs to build one provider kind for real: values for the placeholders
 * of its forms, and either a fake server of its API (HTTP providers) or the text it must
 * answer without one (reference, replay).
 */
export interface ProviderHarness {
  /** Placeholder (as written in `forms`, e.g. `<model>`) → a value. */
  fill: Record<string, string>;
  /** HTTP providers: the environment variable holding the key, and a fake server of the API. */
  http?: { keyVar: string; start(handler: FakeHandler): Promise<FakeServer> };
  /** Providers without a server: the text a filled-in form answers for `task`. */
  answer?(spec: string, task: Task): string;
}

const REPLY = 'def solve():\n    return "from the fake server"\n';
const USAGE = { input: 17, output: 9 };

function filled(form: string, fill: Record<string, string>): string {
  const out = form.replace(/<[^>]+>/g, (p) => {
    const v = fill[p];
    if (v === undefined) throw new Error(`no value for ${p} in this provider's harness`);
    return v;
  });
  return out;
}

function prompt(p: ModelProvider): Prompt {
  return p.style === 'completion' ? { style: 'completion', text: 'def solve():\n' } : { style: 'chat', system: 'Write Python.', user: 'Write solve().' };
}

function request(p: ModelProvider, task: Task): CompletionRequest {
  return { prompt: prompt(p), task, sampleIndex: 0, experiment: 'direct-generation', params: { maxTokens: 64 } };
}

const opts = (env: Record<string, string>, baseURL?: string) => ({ env, ...(baseURL ? { baseURL } : {}), maxRetries: 0, timeoutMs: 5000 });

/** One suite per provider kind, run once per entry of PROVIDERS. */
export function providerContract(name: string, make: () => ProviderEntry, harness: ProviderHarness, dataset: () => Dataset): void {
  describe(`provider contract: ${name}`, () => {
    const entry = make();
    const specs = () => entry.forms.map((f) => filled(f, harness.fill));

    it('parses every form it shows, as itself', () => {
      expect(entry.kind).toBe(name);
      expect(entry.forms.length).toBeGreaterThan(0);
      for (const [i, spec] of specs().entries()) {
        expect(entry.forms[i]!.startsWith(`${name}:`), entry.forms[i]).toBe(true);
        const m = parseModelArg(spec);
        expect(m.entry.kind).toBe(name);
        expect(m).toMatchObject({ name: spec, spec, label: null });
        expect(MODEL_SPEC_FORMS).toContain(entry.forms[i]!);
      }
    });

    it('takes LABEL=SPEC, naming the run by the label', () => {
      for (const spec of specs()) {
        const plain = parseModelArg(spec);
        const m = parseModelArg(`contract.label_1=${spec}`);
        expect(m).toMatchObject({ name: 'contract.label_1', spec, label: 'contract.label_1' });
        expect(m.entry.kind).toBe(name);
        expect(m.parsed).toEqual(plain.parsed);
      }
    });

    it('refuses a spec with nothing after the kind in one UserError line listing every valid form', () => {
      for (const bad of [`${name}:`, name, `${name}:   `]) {
        let err: unknown;
        try {
          parseModelArg(bad);
        } catch (e) {
          err = e;
        }
        expect(err, bad).toBeInstanceOf(UserError);
        const msg = (err as Error).message;
        expect(msg).not.toContain('\n');
        expect(msg).toContain(`"${bad}"`);
        for (const p of PROVIDERS) for (const f of p.forms) expect(msg).toContain(f);
      }
    });

    it('warns, if at all, in single lines, and not about defaults', () => {
      for (const spec of specs()) {
        expect(samplingWarnings(spec, { customServer: false })).toEqual([]);
        for (const w of samplingWarnings(spec, { customServer: false, temperature: 0.7, topP: 0.9 })) expect(w).toMatch(/^[^\n]+$/);
      }
    });

    it('builds a provider that says who it is and answers one real request', async () => {
      const task = dataset().tasks[0]!;
      for (const spec of specs()) {
        const server = harness.http ? await harness.http.start(() => ({ text: REPLY, usage: USAGE })) : null;
        try {
          const env: Record<string, string> = harness.http ? { [harness.http.keyVar]: 'contract-key' } : {};
          for (const arg of [spec, `contract-label=${spec}`]) {
            const p = await createProvider(arg, opts(env, server?.baseURL), dataset());
            expect(p.spec).toBe(parseModelArg(arg).name);
            expect(['chat', 'completion', 'program']).toContain(p.style);
            expect(entry.chat).toBe(p.style === 'chat');
            if (server) {
              expect(p.cacheIdentity).toEqual({ provider: name, model: parseModelArg(spec).parsed.model, baseURL: server.baseURL });
            } else {
              expect(p.cacheIdentity).toBeNull();
              expect(p.style).toBe('program');
            }
            const before = server?.requests.length ?? 0;
            const r = await p.complete(request(p, task));
            if (server) {
              expect(server.requests.length).toBe(before + 1);
              expect(r.text).toBe(REPLY);
              expect(r.usage).toEqual({ input_tokens: USAGE.input, output_tokens: USAGE.output });
              expect(r.program).toBeUndefined();
            } else {
              const want = harness.answer!(spec, task);
              expect(r.text).toBe(want);
              expect(r.usage).toBeNull();
              expect(r.program?.solution).toBe(want);
            }
            expect(r.latencyMs).toBeGreaterThanOrEqual(0);
          }
        } finally {
          await server?.close();
        }
      }
    });

    it('refuses to start without its key, before any request', async () => {
      for (const spec of specs()) {
        if (!harness.http) {
          // Nothing to pay for, nothing to authenticate: an empty environment is enough.
          await expect(createProvider(spec, opts({}), dataset())).resolves.toBeDefined();
          continue;
        }
        const server = await harness.http.start(() => ({ text: REPLY }));
        try {
          for (const env of [{}, { [harness.http.keyVar]: '  ' }]) {
            let err: unknown;
            try {
              await createProvider(spec, opts(env, server.baseURL), dataset());
            } catch (e) {
              err = e;
            }
            expect(err).toBeInstanceOf(UserError);
            expect((err as Error).message).toContain(harness.http.keyVar);
            expect((err as Error).message).not.toContain('\n');
          }
          expect(server.requests).toEqual([]);
        } finally {
          await server.close();
        }
      }
    });
  });
}
