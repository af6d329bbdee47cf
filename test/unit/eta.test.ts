import { describe, expect, it } from 'vitest';
import { EtaEstimator } from '../../src/cli/eta.js';
import { formatDuration } from '../../src/cli/progress.js';

describe('durations', () => {
  it('never print 60 seconds or 60 minutes', () => {
    expect(formatDuration(59_600)).toBe('1m00s');
    expect(formatDuration(599_600)).toBe('10m00s');
    expect(formatDuration(569_400)).toBe('9m29s');
    expect(formatDuration(3_599_600)).toBe('1h00m');
    expect(formatDuration(4_000)).toBe('4s');
  });
});

describe('the ETA', () => {
  it('is unknown until a rate has been seen over a second, and ignores work done before it started', () => {
    const eta = new EtaEstimator(0);
    expect(eta.update(500, 0)).toBeNull(); // resumed: 500 kept
    expect(eta.etaMs(100)).toBeNull();
    expect(eta.update(502, 500)).toBeNull(); // too soon to say
    expect(eta.update(510, 2_000)).toBe(5);
    expect(eta.etaMs(100)).toBe(20_000);
  });

  it('stays steady when samples finish in bursts', () => {
    // 2 per second on average, finishing as 8 every 4 s with an empty second between updates.
    const eta = new EtaEstimator(0);
    const errors: number[] = [];
    let done = 0;
    eta.update(0, 0);
    for (let t = 1; t <= 240; t++) {
      if (t % 4 === 0) done += 8;
      eta.update(done, t * 1000);
      const truth = (1000 - done) / 2;
      if (t > 60) errors.push(Math.abs(eta.etaMs(1000 - done)! / 1000 - truth) / truth);
    }
    // Once a minute of pace is known the time left stays within 20 % of the truth; the rate
    // between two updates alone swings between 0 and 8 per second here.
    expect(Math.max(...errors)).toBeLessThan(0.2);
  });

  it('follows a real change of pace', () => {
    const eta = new EtaEstimator(0);
    eta.update(0, 0);
    let done = 0;
    for (let t = 1; t <= 120; t++) eta.update((done += 4), t * 1000);
    for (let t = 121; t <= 300; t++) eta.update((done += 1), t * 1000);
    expect(eta.etaMs(100)! / 1000).toBeGreaterThan(90);
    expect(eta.etaMs(100)! / 1000).toBeLessThan(110);
  });
});
