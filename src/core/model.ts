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
