/** A request cut short because the run is stopping: the sample is simply not done yet. */
export class Stopped extends Error {}

/**
 * The stop state every part of a generation run shares. `stop` ends everything at once (a
 * fatal error, or the second Ctrl-C by way of the process exit); `draining` is the user's
 * first stop: nothing new is asked, but what is in flight is awaited and kept.
 */
export class RunControl {
  readonly stop = new AbortController();
  readonly draining = new AbortController();
  /** The first error that stopped the run, reported when the jobs have settled. */
  fatal: unknown = null;

  stopping(): boolean {
    return this.stop.signal.aborted || this.draining.signal.aborted;
  }

  /** Stop the run for `e`: the jobs in flight settle, then it is reported. */
  fail(e: unknown): void {
    this.fatal ??= e;
    this.stop.abort();
  }
}
