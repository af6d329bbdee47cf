import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { z } from 'zod';
import type { CompletionRequest, CompletionResult, ModelProvider, Usage } from './provider.js';
import { toProviderError } from './sdk-errors.js';
import { parseResponse } from './validate-response.js';

export const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';

export interface ClientSettings {
  apiKey: string;
  /** Already resolved from --base-url / the environment; undefined means the vendor's own API. */
  baseURL: string | undefined;
  /** The SDK owns retries (429, 5xx, timeouts, honouring Retry-After); nothing else retries. */
  maxRetries: number;
  timeoutMs: number;
}

const SDK_ERRORS = { APIError, APIConnectionError, APIConnectionTimeoutError, APIUserAbortError };

// Compatible servers differ from the vendor's API: validate only what is read, and accept
// nulls and missing fields wherever real servers leave them out.
const OpenAIUsage = z
  .object({ prompt_tokens: z.number().nonnegative(), completion_tokens: z.number().nonnegative() })
  .nullish();
const ChatResponse = z.object({
  choices: z
    .array(
      z.object({
        message: z.object({ content: z.string().nullish() }),
        finish_reason: z.string().nullish(),
      }),
    )
    .min(1, 'no choices'),
  usage: OpenAIUsage,
});
const CompletionResponse = z.object({
  choices: z.array(z.object({ text: z.string().nullish(), finish_reason: z.string().nullish() })).min(1, 'no choices'),
  usage: OpenAIUsage,
});

function usageOf(u: z.infer<typeof OpenAIUsage>): Usage | null {
  return u ? { input_tokens: u.prompt_tokens, output_tokens: u.completion_tokens } : null;
}

abstract class OpenAIBase implements ModelProvider {
  abstract readonly style: 'chat' | 'completion';
  protected readonly client: OpenAI;
  readonly cacheIdentity: { provider: string; model: string; baseURL: string };

  constructor(
    readonly spec: string,
    protected readonly model: string,
    protected readonly settings: ClientSettings,
    providerKind: string,
  ) {
    this.client = new OpenAI({
      apiKey: settings.apiKey,
      baseURL: settings.baseURL ?? OPENAI_DEFAULT_BASE_URL,
      maxRetries: settings.maxRetries,
      timeout: settings.timeoutMs,
    });
    this.cacheIdentity = { provider: providerKind, model, baseURL: settings.baseURL ?? OPENAI_DEFAULT_BASE_URL };
  }

  /** The vendor's API wants max_completion_tokens (reasoning models reject max_tokens); compatible servers know max_tokens. */
  protected get isVendorApi(): boolean {
    return this.settings.baseURL === undefined || this.settings.baseURL.replace(/\/+$/, '') === OPENAI_DEFAULT_BASE_URL;
  }

  abstract complete(req: CompletionRequest): Promise<CompletionResult>;

  /** Sampling fields both endpoints share; sample i sends seed + i so samples differ. */
  protected samplingFields(req: CompletionRequest): { temperature?: number; top_p?: number; seed?: number } {
    const { temperature, topP, seed } = req.params;
    return {
      ...(temperature !== undefined ? { temperature } : {}),
      ...(topP !== undefined ? { top_p: topP } : {}),
      ...(seed !== undefined ? { seed: seed + req.sampleIndex } : {}),
    };
  }

  /** Make the request, timing it and turning SDK errors into provider errors. */
  protected async timed(call: () => Promise<unknown>): Promise<{ data: unknown; latencyMs: number }> {
    const started = performance.now();
    try {
      const data = await call();
      return { data, latencyMs: Math.round(performance.now() - started) };
    } catch (e) {
      throw toProviderError(e, this.spec, SDK_ERRORS, this.settings.timeoutMs);
    }
  }
}

/** The chat completions API: the vendor's and every OpenAI-compatible server's. */
export class OpenAIChatProvider extends OpenAIBase {
  readonly style = 'chat' as const;

  constructor(spec: string, model: string, settings: ClientSettings) {
    super(spec, model, settings, 'openai');
  }

  async complete(req: CompletionRequest): Promise<CompletionResult> {
    if (req.prompt.style !== 'chat') throw new Error('chat provider given a completion prompt');
    const { params } = req;
    const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [];
    if (req.prompt.system) messages.push({ role: 'system', content: req.prompt.system });
    messages.push({ role: 'user', content: req.prompt.user });
    const body: OpenAI.Chat.ChatCompletionCreateParamsNonStreaming = { model: this.model, messages, ...this.samplingFields(req) };
    if (this.isVendorApi) body.max_completion_tokens = params.maxTokens;
    else body.max_tokens = params.maxTokens;
    const { data, latencyMs } = await this.timed(() => this.client.chat.completions.create(body, { signal: req.signal }));
    const res = parseResponse(ChatResponse, data, this.spec);
    const choice = res.choices[0]!;
    return {
      text: choice.message.content ?? '',
      usage: usageOf(res.usage),
      latencyMs,
      finishReason: choice.finish_reason ?? null,
    };
  }
}

/** The plain completions endpoint, for base models that continue a prompt. */
export class OpenAICompletionsProvider extends OpenAIBase {
  readonly style = 'completion' as const;

  constructor(spec: string, model: string, settings: ClientSettings) {
    super(spec, model, settings, 'openai-completions');
  }

  async complete(req: CompletionRequest): Promise<CompletionResult> {
    if (req.prompt.style !== 'completion') throw new Error('completions provider given a chat prompt');
    const { params } = req;
    const body: OpenAI.CompletionCreateParamsNonStreaming = {
      model: this.model,
      prompt: req.prompt.text,
      max_tokens: params.maxTokens,
      ...this.samplingFields(req),
    };
    if (params.stop?.length) body.stop = params.stop;
    const { data, latencyMs } = await this.timed(() => this.client.completions.create(body, { signal: req.signal }));
    const res = parseResponse(CompletionResponse, data, this.spec);
    const choice = res.choices[0]!;
    return { text: choice.text ?? '', usage: usageOf(res.usage), latencyMs, finishReason: choice.finish_reason ?? null };
  }
}

