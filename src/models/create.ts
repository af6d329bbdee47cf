import type { Dataset } from '../dataset/types.js';
import { UserError } from '../util/errors.js';
import type { ModelProvider } from './provider.js';
import { ReferenceProvider } from './reference.js';
import { ReplayProvider } from './replay.js';
import { parseModelSpec } from './spec.js';

export interface ProviderOptions {
  /** --base-url; falls back to OPENAI_BASE_URL / ANTHROPIC_BASE_URL. */
  baseURL?: string;
  maxRetries: number;
  timeoutMs: number;
  /** Where API keys and base URLs are read from (process.env by default). */
  env?: Record<string, string | undefined>;
}

function fromEnv(env: Record<string, string | undefined>, name: string): string | undefined {
  const v = env[name]?.trim();
  return v ? v : undefined;
}

function checkedURL(url: string | undefined, source: string): string | undefined {
  if (url === undefined) return undefined;
  try {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)');
  } catch {
    throw new UserError(`${source} "${url}" is not an http(s) URL`);
  }
  return url;
}

/**
 * Build the provider for a --model spec. Missing keys and bad URLs are refused here, before
 * any work starts. The SDKs are loaded only when asked for: together they take most of a
 * second to import, which no other command should pay.
 */
export async function createProvider(spec: string, opts: ProviderOptions, dataset: Dataset): Promise<ModelProvider> {
  const env = opts.env ?? process.env;
  const parsed = parseModelSpec(spec);
  const settingsFor = (keyVar: string, urlVar: string) => {
    const apiKey = fromEnv(env, keyVar);
    if (!apiKey) {
      throw new UserError(
        `--model ${spec} needs ${keyVar} in the environment (servers that check no key accept any value, e.g. ${keyVar}=none)`,
      );
    }
    const baseURL =
      opts.baseURL !== undefined ? checkedURL(opts.baseURL, '--base-url') : checkedURL(fromEnv(env, urlVar), urlVar);
    return { apiKey, baseURL, maxRetries: opts.maxRetries, timeoutMs: opts.timeoutMs };
  };
  switch (parsed.kind) {
    case 'openai': {
      const settings = settingsFor('OPENAI_API_KEY', 'OPENAI_BASE_URL');
      const { OpenAIChatProvider } = await import('./openai.js');
      return new OpenAIChatProvider(spec, parsed.model, settings);
    }
    case 'openai-completions': {
      const settings = settingsFor('OPENAI_API_KEY', 'OPENAI_BASE_URL');
      const { OpenAICompletionsProvider } = await import('./openai.js');
      return new OpenAICompletionsProvider(spec, parsed.model, settings);
    }
    case 'anthropic': {
      const settings = settingsFor('ANTHROPIC_API_KEY', 'ANTHROPIC_BASE_URL');
      const { AnthropicProvider } = await import('./anthropic.js');
      return new AnthropicProvider(spec, parsed.model, settings);
    }
    case 'reference':
      return new ReferenceProvider(spec, parsed.variant);
    case 'replay':
      return new ReplayProvider(spec, parsed.file, dataset);
  }
}
