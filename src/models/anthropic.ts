import Anthropic, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from '@anthropic-ai/sdk';
import { z } from 'zod';
import type { ClientSettings } from './openai.js';
import type { BatchApi, CompletionRequest, CompletionResult, ModelProvider } from '../core/model.js';
import { anthropicBatchApi } from './anthropic-batch.js';
import { Retrier } from './retry.js';
import { requestWithRetry } from './sdk-errors.js';
import { parseResponse } from './validate-response.js';

export const ANTHROPIC_DEFAULT_BASE_URL = 'https://api.anthropic.com';

const SDK_ERRORS = { APIError, APIConnectionError, APIConnectionTimeoutError, APIUserAbortError };

const MessageResponse = z.object({
  // Thinking and tool blocks carry no `text`; only text blocks make the answer.
  content: z.array(z.looseObject({ type: z.string(), text: z.string().optional() })),
  stop_reason: z.string().nullish(),
  usage: z.object({ input_tokens: z.number().nonnegative(), output_tokens: z.number().nonnegative() }).nullish(),
});

/**
 * The Messages API. It has no `n` and no `seed`: every sample is its own request, and the
 * seed is not sent (the sample index still separates cache entries).
 */
export class AnthropicProvider implements ModelProvider {
  readonly style = 'chat' as const;
  readonly cacheIdentity: { provider: string; model: string; baseURL: string };
  private readonly client: Anthropic;
  /** Shared by every request of this provider: it remembers whether the server ever answered. */
  readonly retrier: Retrier;

  constructor(
    readonly spec: string,
    private readonly model: string,
    private readonly settings: ClientSettings,
  ) {
    const baseURL = settings.baseURL ?? ANTHROPIC_DEFAULT_BASE_URL;
    this.client = new Anthropic({
      apiKey: settings.apiKey,
      // An ANTHROPIC_AUTH_TOKEN in the environment would add a second credential header.
      authToken: null,
      baseURL,
      maxRetries: 0,
      timeout: settings.timeoutMs,
    });
    this.retrier = new Retrier(settings.retry, settings.feedback);
    this.cacheIdentity = { provider: 'anthropic', model, baseURL };
  }

  /** The request's params, the same whether sent on its own or in a batch. */
  body(req: Pick<CompletionRequest, 'prompt' | 'params'>): Anthropic.MessageCreateParamsNonStreaming {
    if (req.prompt.style !== 'chat') throw new Error('anthropic provider given a completion prompt');
    const { params } = req;
    // SDK 1.x dropped temperature and top_p from its types: the API deprecated them and newer
    // models answer 400 when they are sent. Older models still honour them, so they go on the
    // wire only when the user set them.
    const body: Anthropic.MessageCreateParamsNonStreaming & { temperature?: number; top_p?: number } = {
      model: this.model,
      max_tokens: params.maxTokens,
      // Earlier turns of a multi-round experiment come first; the API wants them alternating, which they are.
      messages: [...(req.prompt.history ?? []).map((t) => ({ role: t.role, content: t.content })), { role: 'user', content: req.prompt.user }],
    };
    if (req.prompt.system) body.system = req.prompt.system;
    if (params.temperature !== undefined) body.temperature = params.temperature;
    if (params.topP !== undefined) body.top_p = params.topP;
    return body;
  }

  async complete(req: CompletionRequest): Promise<CompletionResult> {
    const body = this.body(req);
    const where = { spec: this.spec, server: this.cacheIdentity.baseURL, timeoutMs: this.settings.timeoutMs, classes: SDK_ERRORS };
    const { value, latencyMs } = await requestWithRetry(
      this.retrier,
      where,
      async (signal) => parseResponse(MessageResponse, await this.client.messages.create(body, { signal })),
      req.signal,
    );
    return messageResult(value, latencyMs);
  }

  batchApi(): BatchApi {
    return anthropicBatchApi(this.client, (r) => this.body(r), (m) => messageResult(parseResponse(MessageResponse, m), 0));
  }
}

function messageResult(res: z.infer<typeof MessageResponse>, latencyMs: number): CompletionResult {
  const text = res.content
    .filter((b) => b.type === 'text')
    .map((b) => b.text ?? '')
    .join('');
  return {
    text,
    usage: res.usage ? { input_tokens: res.usage.input_tokens, output_tokens: res.usage.output_tokens } : null,
    latencyMs,
    finishReason: res.stop_reason ?? null,
  };
}
