import { describe, expect, it } from 'vitest';
import { AdaptiveLimiter } from '../src/models/adaptive-limit.js';

/** A task that runs until released, so the test decides when each one ends. */
function gate() {
  let release!: () => void;
  const done = new Promise<void>((r) => (release = r));
  return { done, release };
}

const tick = () => new Promise<void>((r) => setImmediate(r));

describe('AdaptiveLimiter', () => {
  it('runs at most `limit` tasks at once, in the order they were queued', async () => {
    const l = new AdaptiveLimiter(2);
    const gates = [gate(), gate(), gate(), gate()];
    const started: number[] = [];
    const all = gates.map((g, i) =>
      l.run(async () => {
        started.push(i);
        await g.done;
        return i;
      }),
    );
    await tick();
    expect(started).toEqual([0, 1]);
    expect([l.active, l.pending]).toEqual([2, 2]);
    gates[1]!.release();
    await tick();
    expect(started).toEqual([0, 1, 2]);
    for (const g of gates) g.release();
    expect(await Promise.all(all)).toEqual([0, 1, 2, 3]);
    expect([l.active, l.pending]).toEqual([0, 0]);
  });

  it('frees the slot of a task that throws', async () => {
    const l = new AdaptiveLimiter(1);
    await expect(l.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(l.run(async () => 'next')).resolves.toBe('next');
  });

  it('halves on pushback down to 1, and grows by one after a run of successes up to the start', () => {
    const changes: string[] = [];
    const l = new AdaptiveLimiter(8, { growAfter: 3, onChange: (n, why) => changes.push(`${why} ${n}`) });
    const push = () => l.begin()('pushback');
    const ok = () => l.begin()('success');
    push();
    expect(l.limit).toBe(4);
    push();
    push();
    push();
    expect(l.limit).toBe(1);
    ok();
    ok();
    expect(l.limit).toBe(1);
    ok();
    expect(l.limit).toBe(2);
    for (let i = 0; i < 3 * 10; i++) ok();
    expect(l.limit).toBe(8);
    expect(changes).toEqual(['cut 4', 'cut 2', 'cut 1', 'grow 2', 'grow 3', 'grow 4', 'grow 5', 'grow 6', 'grow 7', 'grow 8']);
  });

  it('cuts once for the pushback of requests that were all in flight at the old limit', () => {
    const l = new AdaptiveLimiter(8);
    const inFlight = Array.from({ length: 8 }, () => l.begin());
    for (const end of inFlight) end('pushback');
    expect(l.limit).toBe(4);
    // A request sent after the cut that is pushed back again cuts again.
    l.begin()('pushback');
    expect(l.limit).toBe(2);
  });

  it('ignores other failures, does not count an attempt twice, and a pushback restarts the run of successes', () => {
    const l = new AdaptiveLimiter(4, { growAfter: 2 });
    l.begin()('pushback');
    expect(l.limit).toBe(2);
    l.begin()('other');
    const end = l.begin();
    end('success');
    end('success');
    expect(l.limit).toBe(2);
    l.begin()('pushback');
    expect(l.limit).toBe(1);
    l.begin()('success');
    expect(l.limit).toBe(1);
    l.begin()('success');
    expect(l.limit).toBe(2);
  });

  it('starts no new task after a cut until the running ones drop below the new limit, and more after growth', async () => {
    const l = new AdaptiveLimiter(4, { growAfter: 1 });
    const gates = Array.from({ length: 8 }, () => gate());
    const started: number[] = [];
    const all = gates.map((g, i) =>
      l.run(async () => {
        started.push(i);
        await g.done;
      }),
    );
    await tick();
    expect(started).toEqual([0, 1, 2, 3]);
    l.begin()('pushback');
    l.begin()('pushback');
    expect(l.limit).toBe(1);
    gates[0]!.release();
    gates[1]!.release();
    gates[2]!.release();
    await tick();
    // Task 3 still runs: that is the one slot.
    expect(started).toEqual([0, 1, 2, 3]);
    l.begin()('success');
    await tick();
    expect(l.limit).toBe(2);
    expect(started).toEqual([0, 1, 2, 3, 4]);
    for (const g of gates) g.release();
    await Promise.all(all);
    expect(started).toHaveLength(8);
  });

  it('refuses a limit below 1', () => {
    expect(() => new AdaptiveLimiter(0)).toThrow(RangeError);
  });
});

describe('AdaptiveLimiter growth by default', () => {
  it('needs one round of successes at the current limit for each step up', () => {
    const l = new AdaptiveLimiter(4);
    l.begin()('pushback');
    l.begin()('pushback');
    expect(l.limit).toBe(1);
    l.begin()('success');
    expect(l.limit).toBe(2);
    l.begin()('success');
    expect(l.limit).toBe(2);
    l.begin()('success');
    expect(l.limit).toBe(3);
    for (let i = 0; i < 3; i++) l.begin()('success');
    expect(l.limit).toBe(4);
  });
});
