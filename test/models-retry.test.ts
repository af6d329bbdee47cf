import { describe, expect, it } from 'vitest';
import { ProviderError } from '../src/core/model.js';
import {
  AttemptError,
  type AttemptFailure,
  type AttemptOutcome,
  Retrier,
  type RetryClock,
  retryAfterMs,
  retryPolicy,
} from '../src/models/retry.js';

type FakeClock = RetryClock & { sleeps: number[]; t: number; attemptMs: number };

/** A clock that does not wait: sleeps are recorded and move time on; attempts take `attemptMs`. */
function fakeClock(attemptMs = 0): FakeClock {
  const c: FakeClock = {
    t: 0,
    attemptMs,
    sleeps: [],
    now: () => c.t,
    sleep: async (ms: number) => {
      c.sleeps.push(ms);
      c.t += ms;
    },
    random: () => 0.5,
  };
  return c;
}

const status = (over: Partial<Extract<AttemptFailure, { kind: 'transient' }>> = {}): AttemptFailure => ({
  kind: 'transient',
  cause: 'status',
  pushback: true,
  message: 'm: 429 slow down',
  ...over,
});

/** An attempt that fails with `failures` in turn, then answers "ok"; it counts its calls. */
function scripted(clock: FakeClock, failures: AttemptFailure[]) {
  const s = {
    calls: 0,
    run: async () => {
      clock.t += clock.attemptMs;
      const f = failures[s.calls++];
      if (f) throw new AttemptError(f);
      return 'ok';
    },
  };
  return s;
}

async function failureOf(p: Promise<unknown>): Promise<ProviderError> {
  const e = await p.then(
    () => null,
    (x: unknown) => x,
  );
  if (!(e instanceof ProviderError)) throw new Error(`expected a ProviderError, got ${String(e)}`);
  return e;
}

describe('Retrier', () => {
  it('waits what Retry-After asks (plus at most 10 % jitter), and the computed backoff otherwise', async () => {
    const clock = fakeClock();
    const r = new Retrier(retryPolicy({ baseDelayMs: 1000, maxDelayMs: 30_000 }), undefined, clock);
    const s = scripted(clock, [status({ retryAfterMs: 2000 }), status(), status(), status({ retryAfterMs: 45_000 }), status()]);
    await expect(r.run(s.run)).resolves.toBe('ok');
    expect(s.calls).toBe(6);
    // Retry-After 2 s: 2 s + half of the 10 % jitter (random() is 0.5); then 1 s·2^n scaled by 0.75;
    // a Retry-After longer than the backoff cap is still honoured.
    expect(clock.sleeps).toEqual([2100, 1500, 3000, 45_500, 12_000]);
    expect(r.stats).toEqual({ attempts: 6, retries: 5 });
  });

  it('keeps going through a long storm as long as the budget allows, and no longer', async () => {
    const clock = fakeClock(100);
    const r = new Retrier(retryPolicy({ budgetMs: 60_000, baseDelayMs: 1000, maxDelayMs: 4000 }), undefined, clock);
    const s = scripted(
      clock,
      Array.from({ length: 1000 }, () => status({ message: 'm: 500 boom', pushback: false })),
    );
    const e = await failureOf(r.run(s.run));
    expect(e.fatal).toBe(false);
    expect(e.message).toMatch(/^m: 500 boom \(\d+ attempts in [\d.]+ s\); retry budget of 60 s spent \(--retry-budget\)$/);
    // Waits of 0.75 and 1.5 s, then 3 s (the cap, scaled), fill one minute: about 20 attempts.
    expect(s.calls).toBeGreaterThan(15);
    expect(s.calls).toBeLessThan(25);
    // No retry started after the budget (counted from the end of the first failed attempt).
    expect(clock.t - clock.attemptMs).toBeLessThanOrEqual(60_000 + clock.attemptMs);
  });

  it('treats --max-retries as an upper bound', async () => {
    const clock = fakeClock();
    const r = new Retrier(retryPolicy({ maxRetries: 2 }), undefined, clock);
    const s = scripted(clock, [status(), status(), status(), status()]);
    const e = await failureOf(r.run(s.run));
    expect(s.calls).toBe(3);
    expect(e.message).toBe('m: 429 slow down (3 attempts in 2.3 s)');
  });

  it('does not retry final failures and stops the run on fatal ones', async () => {
    const clock = fakeClock();
    const r = new Retrier(retryPolicy(), undefined, clock);
    const final = await failureOf(r.run(scripted(clock, [{ kind: 'final', message: 'm: 400 bad' }]).run));
    expect([final.fatal, final.message]).toEqual([false, 'm: 400 bad']);
    const fatal = await failureOf(r.run(scripted(clock, [{ kind: 'fatal', message: 'm: 401 key' }]).run));
    expect([fatal.fatal, fatal.message]).toEqual([true, 'm: 401 key']);
    expect(clock.sleeps).toEqual([]);
  });

  it('calls a server that never answered unreachable after three attempts, and one that did gone only after the budget', async () => {
    const refused = status({ cause: 'refused', pushback: false, message: 'm: cannot reach the server at http://h/v1: ECONNREFUSED' });
    const clock = fakeClock();
    const r = new Retrier(retryPolicy({ budgetMs: 60_000 }), undefined, clock);
    const first = scripted(clock, [refused, refused, refused, refused]);
    const e = await failureOf(r.run(first.run));
    expect(e.fatal).toBe(true);
    expect(first.calls).toBe(3);

    // Once the server has answered, a refusal is a restart: waited out...
    await expect(r.run(scripted(clock, []).run)).resolves.toBe('ok');
    await expect(r.run(scripted(clock, [refused, refused, refused, refused, refused]).run)).resolves.toBe('ok');
    // ...for a whole budget, after which it is gone and the run stops.
    const gone = scripted(
      clock,
      Array.from({ length: 100 }, () => refused),
    );
    const e2 = await failureOf(r.run(gone.run));
    expect(e2.fatal).toBe(true);
    expect(e2.message).toMatch(/retry budget of 60 s spent/);
    expect(gone.calls).toBeGreaterThan(3);
  });

  it('gives an invalid answer three attempts, then records it', async () => {
    const clock = fakeClock();
    const r = new Retrier(retryPolicy(), undefined, clock);
    const bad = status({ cause: 'invalid-answer', pushback: false, message: 'm: http://h/v1 answered invalid JSON (x)' });
    const s = scripted(clock, [bad, bad, bad, bad]);
    const e = await failureOf(r.run(s.run));
    expect([e.fatal, s.calls]).toEqual([false, 3]);
  });

  it('tells the feedback about every attempt', async () => {
    const clock = fakeClock();
    const outcomes: AttemptOutcome[] = [];
    const r = new Retrier(retryPolicy(), { begin: () => (o) => outcomes.push(o) }, clock);
    await r.run(scripted(clock, [status(), status({ pushback: false })]).run);
    expect(outcomes).toEqual(['pushback', 'other', 'success']);
  });

  it('lets an abort during a wait through untouched', async () => {
    const ac = new AbortController();
    const clock = fakeClock();
    clock.sleep = async (_ms, signal) => {
      ac.abort(new Error('stop'));
      throw signal?.reason;
    };
    const r = new Retrier(retryPolicy(), undefined, clock);
    const e = await r.run(scripted(clock, [status()]).run, ac.signal).catch((x: unknown) => x);
    expect(e).toEqual(new Error('stop'));
  });
});

describe('retryAfterMs', () => {
  const from = (h: Record<string, string>) => (n: string) => h[n];
  it('reads seconds, HTTP dates and retry-after-ms', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(retryAfterMs(from({ 'retry-after': '3' }), now)).toBe(3000);
    expect(retryAfterMs(from({ 'retry-after': '0.25' }), now)).toBe(250);
    expect(retryAfterMs(from({ 'retry-after': 'Wed, 01 Jan 2025 00:00:30 GMT' }), now)).toBe(30_000);
    expect(retryAfterMs(from({ 'retry-after': 'Tue, 31 Dec 2024 00:00:00 GMT' }), now)).toBe(0);
    expect(retryAfterMs(from({ 'retry-after-ms': '120', 'retry-after': '9' }), now)).toBe(120);
    expect(retryAfterMs(from({ 'retry-after': 'soon' }), now)).toBeUndefined();
    expect(retryAfterMs(from({ 'retry-after': '-4' }), now)).toBeUndefined();
    expect(retryAfterMs(from({}), now)).toBeUndefined();
  });
});
