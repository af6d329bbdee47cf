import { UserError } from '../core/errors.js';
import type { ModelProvider } from '../core/model.js';
import type { Dataset } from '../core/task.js';
import { ReferenceProvider } from './reference.js';
import { ReplayProvider, replayFileExperiments } from './replay.js';
import { type AttemptFeedback, type RetryPolicy, retryPolicy } from './retry.js';

export interface ProviderOptions {
  /** --base-url; falls back to the entry's environment variable (OPENAI_BASE_URL, ...). */
  baseURL?: string;
  /** Upper bound on retries per request; undefined: as many as the retry budget allows. */
  maxRetries?: number;
  /** Whole request (headers and body) per attempt. */
  timeoutMs: number;
  /** Retry budget and backoff (RETRY_DEFAULTS when left out). */
  retry?: Partial<Omit<RetryPolicy, 'maxRetries'>>;
  /** Told about every request attempt: the adaptive concurrency limiter. */
  feedback?: AttemptFeedback;
  /** Where API keys and base URLs are read from (process.env by default). */
  env?: Record<string, string | undefined>;
}

/** What an HTTP provider is built from, checked before any work starts. */
export interface ServerSettings {
  apiKey: string;
  baseURL: string | undefined;
  timeoutMs: number;
  retry: RetryPolicy;
  feedback?: AttemptFeedback;
}

export interface ProviderContext {
  /** The name samples are recorded under: the `--model` label, else the spec. */
  name: string;
  /** The spec as given (without a label). */
  spec: string;
  opts: ProviderOptions;
  dataset: Dataset;
  /** API key and server for HTTP providers, from the entry's environment variables. */
  server(keyVar: string, urlVar: string): ServerSettings;
}

/** Settings some APIs refuse; a warning now saves a file full of failed samples later. */
export interface SamplingChoice {
  temperature?: number | undefined;
  topP?: number | undefined;
  /** A base URL was given (flag or environment): not the vendor's own API. */
  customServer: boolean;
}

/**
 * One registry entry per provider kind: how its spec is written, parsed and built. Adding a
 * provider is one file in this folder and one entry below.
 */
export interface ProviderEntry {
  kind: string;
  /** The forms shown in help and errors, e.g. `openai:<model>`. */
  forms: readonly string[];
  /** Parse what follows `kind:`; throw a message (the caller adds the spec and valid forms). */
  parse(rest: string): Record<string, string>;
  create(parsed: Record<string, string>, ctx: ProviderContext): Promise<ModelProvider>;
  warnings?(parsed: Record<string, string>, sampling: SamplingChoice): string[];
  /** Builds chat prompts (multi-round experiments need a conversation). */
  chat: boolean;
}

const needModel = (rest: string): Record<string, string> => {
  if (!rest) throw new Error('no model name after the colon');
  return { model: rest };
};

export const PROVIDERS: readonly ProviderEntry[] = [
  {
    kind: 'openai',
    forms: ['openai:<model>'],
    chat: true,
    parse: needModel,
    async create(p, ctx) {
      const { OpenAIChatProvider } = await import('./openai.js');
      return new OpenAIChatProvider(ctx.name, p.model!, ctx.server('OPENAI_API_KEY', 'OPENAI_BASE_URL'));
    },
    warnings(p, s) {
      const model = p.model!;
      return !s.customServer && /^(o\d|gpt-5)/.test(model) && (s.temperature !== undefined || s.topP !== undefined)
        ? [`${model} looks like a reasoning model: those refuse non-default temperature and top_p`]
        : [];
    },
  },
  {
    kind: 'openai-completions',
    forms: ['openai-completions:<model>'],
    chat: false,
    parse: needModel,
    async create(p, ctx) {
      const { OpenAICompletionsProvider } = await import('./openai.js');
      return new OpenAICompletionsProvider(ctx.name, p.model!, ctx.server('OPENAI_API_KEY', 'OPENAI_BASE_URL'));
    },
  },
  {
    kind: 'anthropic',
    forms: ['anthropic:<model>'],
    chat: true,
    parse: needModel,
    async create(p, ctx) {
      const { AnthropicProvider } = await import('./anthropic.js');
      return new AnthropicProvider(ctx.name, p.model!, ctx.server('ANTHROPIC_API_KEY', 'ANTHROPIC_BASE_URL'));
    },
    warnings(_p, s) {
      return s.temperature !== undefined || s.topP !== undefined
        ? [
            'the Messages API deprecated temperature and top_p: recent Claude models refuse them (and older ones refuse both together); leave them out if requests fail with 400',
          ]
        : [];
    },
  },
  {
    kind: 'reference',
    forms: ['reference:secure', 'reference:insecure'],
    chat: false,
    parse(rest) {
      if (rest !== 'secure' && rest !== 'insecure') throw new Error('reference takes "secure" or "insecure"');
      return { variant: rest };
    },
    async create(p, ctx) {
      return new ReferenceProvider(ctx.name, p.variant as 'secure' | 'insecure');
    },
  },
  {
    kind: 'replay',
    forms: ['replay:<file.jsonl>'],
    chat: false,
    parse(rest) {
      if (!rest) throw new Error('no file after "replay:"');
      return { file: rest };
    },
    async create(p, ctx) {
      return new ReplayProvider(ctx.name, p.file!, ctx.dataset);
    },
  },
];

export const MODEL_SPEC_FORMS = PROVIDERS.flatMap((p) => p.forms).join(', ');

/** A `--model` value: `SPEC`, or `LABEL=SPEC` to name the run in every report and file. */
export interface ModelArg {
  /** What samples, results and reports call this model. */
  name: string;
  spec: string;
  label: string | null;
  entry: ProviderEntry;
  parsed: Record<string, string>;
}

const LABEL = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;

/**
 * Parse `--model`. A label is what comes before the first `=` when that part is a plain name
 * without a colon (so `replay:runs/a=b.jsonl` is a spec, not a label). Only the first colon
 * of the spec separates the provider, because model names carry colons of their own
 * (Ollama's "qwen2.5-coder:7b") and so may replay paths.
 */
export function parseModelArg(arg: string): ModelArg {
  const eq = arg.indexOf('=');
  let label: string | null = null;
  let spec = arg;
  if (eq > 0 && !arg.slice(0, eq).includes(':')) {
    label = arg.slice(0, eq);
    spec = arg.slice(eq + 1);
    if (!LABEL.test(label)) {
      throw new UserError(`--model "${arg}": the label "${label}" must be letters, digits, and . _ + - (it names files and report rows)`);
    }
  }
  const colon = spec.indexOf(':');
  const kind = colon < 0 ? spec : spec.slice(0, colon);
  const rest = colon < 0 ? '' : spec.slice(colon + 1).trim();
  const bad = (why: string) => new UserError(`--model "${arg}": ${why}; valid forms: ${MODEL_SPEC_FORMS} (optionally LABEL=SPEC)`);
  const entry = PROVIDERS.find((p) => p.kind === kind);
  if (!entry) throw bad(colon < 0 ? 'no provider prefix' : `unknown provider "${kind}"`);
  let parsed: Record<string, string>;
  try {
    parsed = entry.parse(rest);
  } catch (e) {
    throw bad((e as Error).message);
  }
  return { name: label ?? spec, spec, label, entry, parsed };
}

/**
 * The experiments `run` asks a model for when the user names none. A replay file answers
 * what it was made for: the experiments its lines carry, else direct-generation alone (the
 * same programs copied into all four experiments would report four identical rows as if
 * they were four measurements). Other models get `all`.
 */
export function defaultExperiments(modelArg: string, all: readonly string[]): string[] {
  const model = parseModelArg(modelArg);
  if (model.entry.kind !== 'replay') return [...all];
  const tagged = replayFileExperiments(model.parsed.file!);
  return tagged.length ? tagged : ['direct-generation'];
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
 * Build the provider for a --model value. Missing keys and bad URLs are refused here, before
 * any work starts. The SDKs are loaded only when asked for: together they take most of a
 * second to import, which no other command should pay.
 */
export async function createProvider(arg: string, opts: ProviderOptions, dataset: Dataset): Promise<ModelProvider> {
  const model = parseModelArg(arg);
  const env = opts.env ?? process.env;
  const server = (keyVar: string, urlVar: string): ServerSettings => {
    const apiKey = fromEnv(env, keyVar);
    if (!apiKey) {
      throw new UserError(
        `--model ${arg} needs ${keyVar} in the environment (servers that check no key accept any value, e.g. ${keyVar}=none)`,
      );
    }
    const baseURL = opts.baseURL !== undefined ? checkedURL(opts.baseURL, '--base-url') : checkedURL(fromEnv(env, urlVar), urlVar);
    const retry = retryPolicy({ ...opts.retry, ...(opts.maxRetries !== undefined ? { maxRetries: opts.maxRetries } : {}) });
    return { apiKey, baseURL, timeoutMs: opts.timeoutMs, retry, ...(opts.feedback ? { feedback: opts.feedback } : {}) };
  };
  return model.entry.create(model.parsed, { name: model.name, spec: model.spec, opts, dataset, server });
}

/** Warnings about sampling settings the chosen provider's API is known to refuse. */
export function samplingWarnings(arg: string, sampling: SamplingChoice): string[] {
  const model = parseModelArg(arg);
  return model.entry.warnings?.(model.parsed, sampling) ?? [];
}
