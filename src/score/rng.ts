/**
 * A small seeded PRNG. Bootstrap intervals and permutation p-values must come out identical
 * on every run and machine, so Math.random is never used for them.
 */
export type Rng = () => number;

/** mulberry32: 32-bit state, uniform floats in [0, 1). Plenty for resampling indices. */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Derive a seed from the user's seed and a label (run + group), so each interval depends only
 * on its own data and label, not on how many intervals were computed before it.
 */
export function deriveSeed(seed: number, label: string): number {
  // FNV-1a over the label, mixed with the seed.
  let h = (0x811c9dc5 ^ (seed >>> 0)) >>> 0;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}
