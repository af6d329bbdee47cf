import type { AttemptFeedback, AttemptOutcome } from './retry.js';

export interface AdaptiveLimitOptions {
  /**
   * Successes in a row (since the last change) that raise the limit by one. Default: the
   * limit itself, i.e. one more request in flight per round of requests that all succeeded.
   */
  growAfter?: number;
  /** Told whenever the limit changes (for logs). */
  onChange?: (limit: number, why: 'cut' | 'grow') => void;
}

/**
 * A concurrency limit that backs off when the server pushes back: it starts at `max`, is
 * halved (down to 1) on a 429, a 503 or a timeout, and grows by one after a run of successes,
 * up to `max` again. Tasks run in the order they were queued.
 *
 * Pushback from attempts that started before the last cut does not cut again: they were sent
 * at the old, higher concurrency, and the cut already answered that.
 */
export class AdaptiveLimiter implements AttemptFeedback {
  private current: number;
  private running = 0;
  private readonly queue: (() => void)[] = [];
  private epoch = 0;
  private streak = 0;
  private readonly growAfter: number | undefined;

  constructor(
    readonly max: number,
    private readonly options: AdaptiveLimitOptions = {},
  ) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`concurrency must be a positive integer, got ${max}`);
    this.growAfter = options.growAfter;
    if (this.growAfter !== undefined && (!Number.isInteger(this.growAfter) || this.growAfter < 1)) {
      throw new RangeError(`growAfter must be a positive integer, got ${this.growAfter}`);
    }
    this.current = max;
  }

  /** The limit now. */
  get limit(): number {
    return this.current;
  }

  /** Tasks running now (may exceed `limit` right after a cut, until some finish). */
  get active(): number {
    return this.running;
  }

  /** Tasks waiting for a slot. */
  get pending(): number {
    return this.queue.length;
  }

  /** Run `fn` once a slot is free. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.running >= this.current || this.queue.length) {
      await new Promise<void>((resolve) => this.queue.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await fn();
    } finally {
      this.running--;
      this.drain();
    }
  }

  begin(): (outcome: AttemptOutcome) => void {
    const epoch = this.epoch;
    let ended = false;
    return (outcome) => {
      if (ended) return;
      ended = true;
      this.record(outcome, epoch);
    };
  }

  private record(outcome: AttemptOutcome, epoch: number): void {
    if (outcome === 'pushback') {
      this.streak = 0;
      if (epoch !== this.epoch) return;
      this.epoch++;
      const next = Math.max(1, Math.floor(this.current / 2));
      if (next !== this.current) {
        this.current = next;
        this.options.onChange?.(next, 'cut');
      }
    } else if (outcome === 'success') {
      if (++this.streak < (this.growAfter ?? this.current) || this.current >= this.max) return;
      this.streak = 0;
      this.current++;
      this.options.onChange?.(this.current, 'grow');
      this.drain();
    }
  }

  /** Start queued tasks while there is room; a slot is handed over, never left free between. */
  private drain(): void {
    while (this.running < this.current && this.queue.length) {
      this.running++;
      this.queue.shift()!();
    }
  }
}
