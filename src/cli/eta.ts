/**
 * Time left, from a smoothed throughput. Samples finish in bursts (a slow task holds a worker,
 * then several finish at once), so the rate since the last update swings widely; an
 * exponential moving average weighted by elapsed time (time constant `tau`) keeps the ETA
 * steady enough to plan by while still following a real change of pace within a minute or so.
 */
export class EtaEstimator {
  /** The moving average started from 0, and the time it has run: their ratio corrects the start. */
  private ema = 0;
  private span = 0;
  private rate: number | null = null;
  private lastAt: number;
  /** Null until the first update: a resumed run starts with work it did not do now. */
  private lastDone: number | null = null;

  constructor(
    startedAt: number,
    private readonly tauMs = 30_000,
    /** Updates closer together than this are merged into the next one. */
    private readonly minStepMs = 1_000,
  ) {
    this.lastAt = startedAt;
  }

  /** Record `done` at time `now` (ms); returns the smoothed rate in items per second, or null. */
  update(done: number, now: number): number | null {
    if (this.lastDone === null) {
      this.lastDone = done;
      this.lastAt = now;
      return null;
    }
    const dt = now - this.lastAt;
    if (dt < this.minStepMs) return this.rate;
    const inst = ((done - this.lastDone) * 1000) / dt;
    this.ema += (1 - Math.exp(-dt / this.tauMs)) * (inst - this.ema);
    this.span += dt;
    // Bias correction (as in Adam): early on the average is the plain mean rate so far, not a
    // value dragged towards the 0 it started from.
    this.rate = this.ema / (1 - Math.exp(-this.span / this.tauMs));
    this.lastAt = now;
    this.lastDone = done;
    return this.rate;
  }

  /** Milliseconds left for `remaining` items, or null while no rate is known. */
  etaMs(remaining: number): number | null {
    if (remaining <= 0) return 0;
    if (this.rate === null || this.rate <= 0) return null;
    return (remaining / this.rate) * 1000;
  }
}
