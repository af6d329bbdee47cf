import type { Task } from '../dataset/types.js';

/**
 * How a provider's answers turn into programs:
 * - `chat`: an answer to a chat prompt, code somewhere inside prose or fences;
 * - `completion`: text that continues the prompt (base models);
 * - `program`: already a complete program (reference and replay answers).
 */
export type ModelStyle = 'chat' | 'completion' | 'program';

/** A rendered prompt: chat messages for chat models, one text to continue for base models. */
export type Prompt = { style: 'chat'; system: string | null; user: string } | { style: 'completion'; text: string };

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

export interface CompletionRequest {
  prompt: Prompt;
  /** The task the prompt was rendered from: reference and replay answer from it. */
  task: Task;
  sampleIndex: number;
  params: SamplingParams;
  signal?: AbortSignal;
}

export interface Usage {
  input_tokens: number;
  output_tokens: number;
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
  /** The spec as the user gave it, recorded as the sample's `model`. */
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
