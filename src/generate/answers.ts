import type { CompletionResult, ModelProvider, Prompt, SamplingParams } from '../core/model.js';
import type { Answer } from '../experiments/index.js';
import { type ResponseCache, cacheKey } from './cache.js';
import { type RunControl, Stopped } from './control.js';
import type { Delivery } from './delivery.js';
import type { Job } from './plan.js';
import type { DeliveryNote } from './record.js';

/** Put an answer in the response cache (no-op without one), with the batch that made it. */
export function storeIn(cache: ResponseCache | null): (key: string, result: CompletionResult, batch?: string) => void {
  return (key, result, batch) =>
    cache?.put(key, {
      text: result.text,
      usage: result.usage,
      latencyMs: result.latencyMs,
      finishReason: result.finishReason,
      createdAt: new Date().toISOString(),
      ...(batch ? { batch } : {}),
    });
}

/**
 * How a strategy's question is answered: from the response cache when it holds the answer,
 * else through the delivery, and the answer is cached. Each job notes the batches that answered it.
 */
export function cachedAsk(
  provider: ModelProvider,
  cache: ResponseCache | null,
  delivery: Delivery,
  control: RunControl,
  counts: { cached: number },
): (job: Job, note: DeliveryNote, prompt: Prompt, params: SamplingParams) => Promise<Answer> {
  const store = storeIn(cache);
  return async (job, note, prompt, params) => {
    if (control.stopping()) throw new Stopped();
    const key = provider.cacheIdentity ? cacheKey({ ...provider.cacheIdentity, prompt, params, sampleIndex: job.sampleIndex }) : null;
    const hit = cache && key ? cache.get(key) : null;
    if (hit) {
      counts.cached++;
      // Made by a batch in an earlier run (or earlier in this one): still made at batch prices.
      if (hit.batch) note.batches.add(hit.batch);
      return { result: { text: hit.text, usage: hit.usage, latencyMs: hit.latencyMs, finishReason: hit.finishReason }, cached: true, error: null };
    }
    const answer = await delivery.ask({ job, prompt, params, key });
    // A batch's answers are stored as soon as they are read, awaited or not.
    if (key && answer.result && !answer.batch) store(key, answer.result);
    if (answer.batch) note.batches.add(answer.batch);
    return { result: answer.result, cached: answer.cached, error: answer.error };
  };
}
