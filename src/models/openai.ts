import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { z } from 'zod';
import type { BatchApi, CompletionRequest, CompletionResult, ModelProvider, Usage } from '../core/model.js';
import { openaiBatchApi } from './openai-batch.js';
import { type AttemptFeedback, Retrier, type RetryPolicy } from './retry.js';
import { requestWithRetry } from './sdk-errors.js';
import { parseResponse } from './validate-response.js';

export const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';

export interface ClientSettings {
  apiKey: string;
  /** Already resolved from --base-url / the environment; undefined means the vendor's own API. */
  baseURL: string | undefined;
  /** Whole request, headers and body, per attempt. */
  timeoutMs: number;
  /** Our retries are the only ones (the SDK is built with maxRetries 0). */
  retry: RetryPolicy;
  /** Told about every attempt: the adaptive concurrency limiter. */
  feedback?: AttemptFeedback;
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
  /** Shared by every request of this provider: it remembers whether the server ever answered. */
  readonly retrier: Retrier;
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
      maxRetries: 0,
      timeout: settings.timeoutMs,
    });
    this.retrier = new Retrier(settings.retry, settings.feedback);
    this.cacheIdentity = { provider: providerKind, model, baseURL: settings.baseURL ?? OPENAI_DEFAULT_BASE_URL };
  }

  /** The vendor's API wants max_completion_tokens (reasoning models reject max_tokens); compatible servers know max_tokens. */
  protected get isVendorApi(): boolean {
    return this.settings.baseURL === undefined || this.settings.baseURL.replace(/\/+$/, '') === OPENAI_DEFAULT_BASE_URL;
  }

  abstract complete(req: CompletionRequest): Promise<CompletionResult>;

  /** Sampling fields both endpoints share; sample i sends seed + i so samples differ. */
  protected samplingFields(req: Pick<CompletionRequest, 'params' | 'sampleIndex'>): { temperature?: number; top_p?: number; seed?: number } {
    const { temperature, topP, seed } = req.params;
    return {
      ...(temperature !== undefined ? { temperature } : {}),
      ...(topP !== undefined ? { top_p: topP } : {}),
      ...(seed !== undefined ? { seed: seed + req.sampleIndex } : {}),
    };
  }

  /** Send a request (retried), and check the answer against `schema` inside each attempt. */
  protected send<T>(
    req: CompletionRequest,
    schema: z.ZodType<T>,
    call: (signal: AbortSignal) => Promise<unknown>,
  ): Promise<{ value: T; latencyMs: number }> {
    const where = { spec: this.spec, server: this.cacheIdentity.baseURL, timeoutMs: this.settings.timeoutMs, classes: SDK_ERRORS, expectsV1: true };
    return requestWithRetry(this.retrier, where, async (signal) => parseResponse(schema, await call(signal)), req.signal);
  }
}

/** The chat completions API: the vendor's and every OpenAI-compatible server's. */
export class OpenAIChatProvider extends OpenAIBase {
  readonly style = 'chat' as const;

  constructor(spec: string, model: string, settings: ClientSettings) {
    super(spec, model, settings, 'openai');
  }

  /** The request body, the same whether sent on its own or in a batch. */
  body(req: Pick<CompletionRequest, 'prompt' | 'params' | 'sampleIndex'>): OpenAI.Chat.ChatCompletionCreateParamsNonStreaming {
    if (req.prompt.style !== 'chat') throw new Error('chat provider given a completion prompt');
    const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [];
    if (req.prompt.system) messages.push({ role: 'system', content: req.prompt.system });
    // Earlier turns of a multi-round experiment, so the model sees its own previous answers.
    for (const turn of req.prompt.history ?? []) messages.push({ role: turn.role, content: turn.content });
    messages.push({ role: 'user', content: req.prompt.user });
    const body: OpenAI.Chat.ChatCompletionCreateParamsNonStreaming = { model: this.model, messages, ...this.samplingFields(req) };
    if (this.isVendorApi) body.max_completion_tokens = req.params.maxTokens;
    else body.max_tokens = req.params.maxTokens;
    return body;
  }

  async complete(req: CompletionRequest): Promise<CompletionResult> {
    const body = this.body(req);
    const { value, latencyMs } = await this.send(req, ChatResponse, (signal) => this.client.chat.completions.create(body, { signal }));
    return chatResult(value, latencyMs);
  }

  batchApi(): BatchApi {
    return openaiBatchApi(this.client, '/v1/chat/completions', (r) => this.body(r), (b) => chatResult(parseResponse(ChatResponse, b), 0));
  }
}

function chatResult(res: z.infer<typeof ChatResponse>, latencyMs: number): CompletionResult {
  const choice = res.choices[0]!;
  return { text: choice.message.content ?? '', usage: usageOf(res.usage), latencyMs, finishReason: choice.finish_reason ?? null };
}

function completionResult(res: z.infer<typeof CompletionResponse>, latencyMs: number): CompletionResult {
  const choice = res.choices[0]!;
  return { text: choice.text ?? '', usage: usageOf(res.usage), latencyMs, finishReason: choice.finish_reason ?? null };
}

/** The plain completions endpoint, for base models that continue a prompt. */
export class OpenAICompletionsProvider extends OpenAIBase {
  readonly style = 'completion' as const;

  constructor(spec: string, model: string, settings: ClientSettings) {
    super(spec, model, settings, 'openai-completions');
  }

  body(req: Pick<CompletionRequest, 'prompt' | 'params' | 'sampleIndex'>): OpenAI.CompletionCreateParamsNonStreaming {
    if (req.prompt.style !== 'completion') throw new Error('completions provider given a chat prompt');
    const { params } = req;
    const body: OpenAI.CompletionCreateParamsNonStreaming = {
      model: this.model,
      prompt: req.prompt.text,
      max_tokens: params.maxTokens,
      ...this.samplingFields(req),
    };
    if (params.stop?.length) body.stop = params.stop;
    return body;
  }

  async complete(req: CompletionRequest): Promise<CompletionResult> {
    const body = this.body(req);
    const { value, latencyMs } = await this.send(req, CompletionResponse, (signal) => this.client.completions.create(body, { signal }));
    return completionResult(value, latencyMs);
  }

  batchApi(): BatchApi {
    return openaiBatchApi(this.client, '/v1/completions', (r) => this.body(r), (b) => completionResult(parseResponse(CompletionResponse, b), 0));
  }
}
