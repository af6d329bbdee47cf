import { describe, expect, it } from 'vitest';
import { SAMPLE_UID_BASE, SampleUids, UIDS_PER_PROCESS } from '../../src/sandbox/uids.js';

describe('SampleUids', () => {
  const block = SAMPLE_UID_BASE + process.pid * UIDS_PER_PROCESS;

  it('gives each slot of an engine its own uid, stable across calls, in this process\'s block', () => {
    const u = new SampleUids();
    expect([u.uidFor(0), u.uidFor(1), u.uidFor(0)]).toEqual([block, block + 1, block]);
    u.release();
  });

  it('never gives two live engines the same uid, and reuses uids once released', () => {
    const a = new SampleUids();
    const b = new SampleUids();
    const fromA = [a.uidFor(0), a.uidFor(1)];
    const fromB = [b.uidFor(0), b.uidFor(1)];
    expect(new Set([...fromA, ...fromB]).size).toBe(4);
    a.release();
    const c = new SampleUids();
    expect([c.uidFor(0), c.uidFor(1)].sort()).toEqual([...fromA].sort());
    b.release();
    c.release();
  });

  it('refuses more workers than the block holds', () => {
    const u = new SampleUids();
    for (let slot = 0; slot < UIDS_PER_PROCESS; slot++) u.uidFor(slot);
    expect(() => u.uidFor(UIDS_PER_PROCESS)).toThrow(/more than 256 sandbox workers/);
    u.release();
  });

  it('stays a valid uid for the largest pid Linux hands out', () => {
    expect(SAMPLE_UID_BASE + 4_194_304 * UIDS_PER_PROCESS + UIDS_PER_PROCESS).toBeLessThan(2 ** 32 - 1);
  });
});
