import { z } from 'zod';
import type { Task } from './task.js';

/**
 * How a provider's answers turn into programs:
 * - `chat`: an answer to a chat prompt, code somewhere inside prose or fences;
 * - `completion`: text that continues the prompt (base models);
 * - `program`: already a complete program (reference and replay answers).
 */
export type ModelStyle = 'chat' | 'completion' | 'program';

/** One earlier turn of a chat, for multi-round experiments. */
export const ChatTurn = z.object({ role: z.enum(['user', 'assistant']), content: z.string() });
export type ChatTurn = z.infer<typeof ChatTurn>;

/**
 * A rendered prompt: chat messages for chat models, one text to continue for base models.
 * `history` (multi-round experiments only) holds the turns before `user`.
 */
export const Prompt = z.discriminatedUnion('style', [
  z.object({ style: z.literal('chat'), system: z.string().nullable(), user: z.string(), history: z.array(ChatTurn).optional() }),
  z.object({ style: z.literal('completion'), text: z.string() }),
]);
export type Prompt = z.infer<typeof Prompt>;

/** Sampling parameters the user set; anything left undefined is not sent. */
export interface SamplingParams {
  temperature?: number;
  topP?: number;
  maxTokens: number;
  /** Base seed; each sample sends `seed + sampleIndex` so that n samples are not n copies. */
  seed?: number;
  /** Stop sequences (completion style only). */
  stop?: string[];
}

export const Usage = z.object({ input_tokens: z.number(), output_tokens: z.number() });
export type Usage = z.infer<typeof Usage>;

export interface CompletionRequest {
  prompt: Prompt;
  /** The task the prompt was rendered from: reference and replay answer from it. */
  task: Task;
  sampleIndex: number;
  /** The experiment asking; replay answers from the file's lines for it. */
  experiment?: string;
  params: SamplingParams;
  signal?: AbortSignal;
}

export interface CompletionResult {
  text: string;
  usage: Usage | null;
  latencyMs: number;
  /** As the server said it ("stop", "length", "end_turn", "max_tokens", ...), or null. */
  finishReason: string | null;
  /**
   * Set by `program` style providers only: the complete program and how it was obtained
   * ("reference:secure", "replay:completion"); extraction is skipped.
   */
  program?: { solution: string; method: string };
}

export interface ModelProvider {
  /** The name the run is recorded under: the `--model` label, else the spec as given. */
  readonly spec: string;
  readonly style: ModelStyle;
  /**
   * What identifies the answering model for the response cache (provider kind, model name,
   * server), or null when answers cost nothing and must not be cached (reference, replay).
   */
  readonly cacheIdentity: { provider: string; model: string; baseURL: string } | null;
  complete(req: CompletionRequest): Promise<CompletionResult>;
  /** Refuse, before any work, tasks this provider cannot answer. */
  checkTasks?(tasks: Task[]): void;
  /** The provider's batch API, when it has one (`--batch`). */
  batchApi?(): BatchApi;
}

/**
 * A request failed for good. `fatal` errors (bad key, unknown model, unreachable server) stop
 * the whole run because every other request would fail the same way; the others are recorded
 * on the one sample they concern.
 */
export class ProviderError extends Error {
  override name = 'ProviderError';
  constructor(
    message: string,
    readonly fatal: boolean,
  ) {
    super(message);
  }
}

/** Finish reasons that mean the answer was cut at the token limit. */
export function isTruncatedFinish(reason: string | null): boolean {
  return reason === 'length' || reason === 'max_tokens' || reason === 'model_length';
}

/**
 * A provider's batch API (OpenAI Batch, Anthropic Message Batches): the same requests as
 * `complete`, sent as one file and answered within 24 h at half price. Results are matched
 * by `customId`, never by order.
 */
export interface BatchRequest {
  customId: string;
  prompt: Prompt;
  params: SamplingParams;
  sampleIndex: number;
}

/** Where a batch stands, in words common to both providers. */
export type BatchState = 'in_progress' | 'ended' | 'failed' | 'expired' | 'cancelled';

export interface BatchStatus {
  id: string;
  state: BatchState;
  /** The provider's own word for it (validating, finalizing, canceling, ...). */
  providerStatus: string;
  counts: { completed: number; failed: number; total: number };
  /** Why a failed batch failed, as the provider said it. */
  message?: string;
  /** Where the results are (OpenAI: the output and error file ids). */
  outputs?: string[];
}

/** One request's outcome: its answer, or why it has none (recorded on the sample as a failure). */
export type BatchOutcome = { customId: string; result: CompletionResult; error?: undefined } | { customId: string; result?: undefined; error: string };

export interface BatchApi {
  /** `openai` or `anthropic`: recorded with each batch, so a resume asks the same API. */
  readonly provider: string;
  /** At most this many requests, and this many bytes of request lines, in one batch. */
  readonly limits: { requests: number; bytes: number };
  /** The bytes this request takes in the batch's input. */
  size(req: BatchRequest): number;
  /** Create the batch; its id. */
  submit(reqs: readonly BatchRequest[], signal?: AbortSignal): Promise<string>;
  status(id: string, signal?: AbortSignal): Promise<BatchStatus>;
  /** Every outcome the provider has for an ended (or failed, expired, cancelled) batch. */
  results(status: BatchStatus, signal?: AbortSignal): Promise<BatchOutcome[]>;
}
