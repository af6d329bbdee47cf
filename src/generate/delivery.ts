import { type CompletionResult, type ModelProvider, type Prompt, ProviderError, type SamplingParams } from '../core/model.js';
import type { Answer } from '../experiments/index.js';
import type { AdaptiveLimiter } from '../models/adaptive-limit.js';
import { type RunControl, Stopped } from './control.js';
import type { Job } from './plan.js';

/** One request of a job, with its response-cache key (null when answers are not cached). */
export interface AskRequest {
  job: Job;
  prompt: Prompt;
  params: SamplingParams;
  key: string | null;
}

/** An answer and, when it came through a provider's batch API, the batch that carried it. */
export interface DeliveredAnswer extends Answer {
  batch?: string;
}

/**
 * How requests reach the model: one at a time through the limiter and retries, or gathered
 * into the provider's batches. The stage plans, caches and records the same way for both.
 */
export interface Delivery {
  readonly kind: 'request' | 'batch';
  /** Ask for one answer. Throws Stopped when the run is stopping, or a fatal error. */
  ask(req: AskRequest): Promise<DeliveredAnswer>;
  /** Run every job's work, scheduled as this delivery needs. */
  runAll(jobs: readonly Job[], work: (job: Job) => Promise<void>): Promise<void>;
  /** What the user's stop leaves waiting, as one line (null: nothing). */
  stopNotice(): string | null;
}

/**
 * Each request on its own, at most `limiter`'s number of jobs at a time (cut when the server
 * pushes back); the provider retries. Stopping abandons the requests in flight only on a hard
 * stop: the user's first stop lets them finish, so every answer paid for is kept.
 */
export function requestDelivery(provider: ModelProvider, limiter: AdaptiveLimiter, control: RunControl, counts: { requests: number }): Delivery {
  const inFlight = new Set<AbortController>();
  control.stop.signal.addEventListener('abort', () => {
    for (const r of inFlight) r.abort();
  });
  return {
    kind: 'request',
    stopNotice: () => (inFlight.size ? `stopping: waiting for ${inFlight.size} request(s) in flight, whose answers are kept; Ctrl-C again abandons them` : null),
    runAll: async (jobs, work) => {
      await Promise.all(jobs.map((job) => limiter.run(() => work(job))));
    },
    async ask({ job, prompt, params }) {
      if (control.stopping()) throw new Stopped();
      if (provider.cacheIdentity) counts.requests++;
      // One signal per request: the SDKs leave their abort listener on the signal they are
      // given after the request ends, and thousands of requests would pile up on a shared one.
      const request = new AbortController();
      inFlight.add(request);
      let result: CompletionResult;
      try {
        result = await provider.complete({ prompt, task: job.task, sampleIndex: job.sampleIndex, experiment: job.experiment, params, signal: request.signal });
      } catch (e) {
        if (control.stop.signal.aborted) throw new Stopped();
        if (e instanceof ProviderError && !e.fatal) return { result: null, cached: false, error: e.message };
        throw e;
      } finally {
        inFlight.delete(request);
      }
      return { result, cached: false, error: null };
    },
  };
}
