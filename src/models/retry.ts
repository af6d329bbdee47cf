import { ProviderError } from '../core/model.js';

/**
 * Retrying model requests. This is the only layer that retries: the SDKs are built with
 * `maxRetries: 0`, because their retries stop after a fixed count (a rate-limit storm outlasts
 * it), cannot see a stall in the body, and cannot tell the concurrency limiter what happened.
 */

/** How long and how often one sample's request may be retried. */
export interface RetryPolicy {
  /**
   * Time a sample may spend on retries, counted from the end of its first failed attempt:
   * no retry starts (and no wait is begun) that would cross it.
   */
  budgetMs: number;
  /** Upper bound on retries (attempts - 1); undefined: as many as the budget allows. */
  maxRetries?: number;
  /** Wait before the first retry when the server gives no Retry-After; doubled per retry. */
  baseDelayMs: number;
  /** Cap on a computed wait (a server's Retry-After is honoured even when longer). */
  maxDelayMs: number;
}

export const RETRY_DEFAULTS = { budgetMs: 300_000, baseDelayMs: 1_000, maxDelayMs: 30_000 } as const;

/** Attempts made on a server that has never answered before it is called unreachable. */
const UNREACHED_ATTEMPTS = 3;
/** A server that answers garbage usually keeps doing so: a few attempts, not a whole budget. */
const INVALID_ANSWER_ATTEMPTS = 3;

export function retryPolicy(over: Partial<RetryPolicy> = {}): RetryPolicy {
  const p: RetryPolicy = {
    budgetMs: over.budgetMs ?? RETRY_DEFAULTS.budgetMs,
    baseDelayMs: over.baseDelayMs ?? RETRY_DEFAULTS.baseDelayMs,
    maxDelayMs: over.maxDelayMs ?? RETRY_DEFAULTS.maxDelayMs,
  };
  if (over.maxRetries !== undefined) p.maxRetries = over.maxRetries;
  return p;
}

/** Why a transient failure happened; decides how long it may be retried. */
export type TransientCause = 'status' | 'timeout' | 'refused' | 'reset' | 'invalid-answer';

/** One attempt's failure, classified. */
export type AttemptFailure =
  /** Every other request would fail the same way (bad key, unknown model, server gone): stop the run. */
  | { kind: 'fatal'; message: string }
  /** This sample's request is wrong or the answer unusable, and asking again will not help. */
  | { kind: 'final'; message: string }
  | {
      kind: 'transient';
      message: string;
      cause: TransientCause;
      /** The server is overloaded (429, 503, a timeout...): the limiter should send less. */
      pushback: boolean;
      /** What the server asked for (Retry-After / retry-after-ms), when it did. */
      retryAfterMs?: number;
    };

/** Thrown by an attempt whose failure has been classified. */
export class AttemptError extends Error {
  override name = 'AttemptError';
  constructor(readonly failure: AttemptFailure) {
    super(failure.message);
  }
}

export type AttemptOutcome = 'success' | 'pushback' | 'other';

/** Told about every attempt (the adaptive concurrency limiter). */
export interface AttemptFeedback {
  /** Called when an attempt starts; the returned function is called once with how it ended. */
  begin(): (outcome: AttemptOutcome) => void;
}

export interface RetryClock {
  now(): number;
  /** Resolves after `ms`, rejects with the signal's reason when it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  random(): number;
}

/** The signal's reason as thrown: itself when an Error (the usual case, kept as is), else wrapped. */
function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new Error(`aborted: ${String(reason)}`);
}

export const realClock: RetryClock = {
  now: () => performance.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(abortError(signal));
      const onAbort = () => {
        clearTimeout(timer);
        reject(abortError(signal!));
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
  random: () => Math.random(),
};

/** Retry-After as seconds or an HTTP date, or retry-after-ms (OpenAI's and Anthropic's own); ms, or undefined. */
export function retryAfterMs(get: (name: string) => string | null | undefined, now = Date.now()): number | undefined {
  const ms = get('retry-after-ms');
  if (ms != null && ms.trim() !== '') {
    const v = Number(ms);
    if (Number.isFinite(v) && v >= 0) return v;
  }
  const ra = get('retry-after');
  if (ra == null || ra.trim() === '') return undefined;
  const secs = Number(ra);
  if (Number.isFinite(secs)) return secs >= 0 ? secs * 1000 : undefined;
  const date = Date.parse(ra);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

const secs = (ms: number) => `${Math.round(ms / 100) / 10} s`;

export interface RetryStats {
  attempts: number;
  retries: number;
}

/**
 * Runs one request's attempts for a provider. Remembers, across samples, whether the server
 * has ever answered: a server that refuses connections from the start is a wrong address and
 * stops the run within seconds; one that answered before and now refuses is probably restarting
 * and gets the whole retry budget before the run is stopped.
 */
export class Retrier {
  private answered = false;
  /** Totals over every request, for benchmarks and logs. */
  readonly stats: RetryStats = { attempts: 0, retries: 0 };

  constructor(
    private readonly policy: RetryPolicy,
    private readonly feedback: AttemptFeedback | undefined,
    private readonly clock: RetryClock = realClock,
  ) {}

  /**
   * Call `attempt` until it succeeds or its failure is not worth another try. An attempt
   * signals a classified failure with AttemptError; anything else (an abort, a bug) passes
   * through untouched. Gives up with a ProviderError (fatal or not).
   */
  async run<T>(attempt: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const startedAt = this.clock.now();
    let firstFailureAt: number | null = null;
    let attempts = 0;
    let invalidAnswers = 0;
    for (;;) {
      if (signal?.aborted) throw signal.reason;
      const end = this.feedback?.begin();
      attempts++;
      this.stats.attempts++;
      let failure: AttemptFailure;
      try {
        const value = await attempt();
        this.answered = true;
        end?.('success');
        return value;
      } catch (e) {
        if (!(e instanceof AttemptError)) {
          end?.('other');
          throw e;
        }
        failure = e.failure;
        end?.(failure.kind === 'transient' && failure.pushback ? 'pushback' : 'other');
      }
      if (failure.kind === 'fatal') throw new ProviderError(failure.message, true);
      if (failure.kind === 'final') {
        this.answered = true;
        throw new ProviderError(failure.message, false);
      }
      if (failure.cause !== 'refused') this.answered = true;
      if (failure.cause === 'invalid-answer') invalidAnswers++;

      const now = this.clock.now();
      firstFailureAt ??= now;
      const spent = now - firstFailureAt;
      const retries = attempts - 1;
      const tried = attempts > 1 ? ` (${attempts} attempts in ${secs(now - startedAt)})` : '';
      const giveUp = (why: string, fatal = false): never => {
        throw new ProviderError(`${failure.message}${tried}${why}`, fatal);
      };

      if (failure.cause === 'refused' && !this.answered && attempts >= UNREACHED_ATTEMPTS) giveUp('', true);
      if (failure.cause === 'invalid-answer' && invalidAnswers >= INVALID_ANSWER_ATTEMPTS) giveUp('');
      if (this.policy.maxRetries !== undefined && retries >= this.policy.maxRetries) giveUp('', failure.cause === 'refused' && !this.answered);

      const computed = Math.min(this.policy.maxDelayMs, this.policy.baseDelayMs * 2 ** retries);
      let wait: number;
      if (failure.retryAfterMs !== undefined) {
        // A little jitter even on the server's own figure, so that requests it told to come
        // back at the same moment do not all arrive together.
        wait = failure.retryAfterMs + this.clock.random() * Math.min(failure.retryAfterMs * 0.1, 1_000);
      } else {
        wait = computed * (0.5 + this.clock.random() / 2);
      }
      if (spent + wait > this.policy.budgetMs) {
        const asked = failure.retryAfterMs !== undefined ? `; the server asked to wait ${secs(failure.retryAfterMs)}` : '';
        // Still refusing after a whole budget: the server is gone, and every sample would wait as long.
        giveUp(`${asked}; retry budget of ${secs(this.policy.budgetMs)} spent (--retry-budget)`, failure.cause === 'refused');
      }
      await this.clock.sleep(wait, signal);
      this.stats.retries++;
    }
  }
}
