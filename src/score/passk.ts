/**
 * Unbiased pass@k estimator (Chen et al. 2021, "Evaluating Large Language Models Trained on
 * Code"): the probability that at least one of k samples drawn without replacement from n
 * generated samples, c of them correct, is correct.
 *
 * 1 - C(n-c, k) / C(n, k) overflows for realistic n, so it is computed as the product
 * 1 - prod_{i=n-c+1}^{n} (1 - k/i), which stays within [0, 1] at every step.
 */
export function passAtK(n: number, c: number, k: number): number | null {
  if (!Number.isInteger(n) || !Number.isInteger(c) || !Number.isInteger(k)) {
    throw new RangeError(`pass@k needs integers, got n=${n} c=${c} k=${k}`);
  }
  if (k < 1) throw new RangeError(`k must be at least 1, got ${k}`);
  if (c < 0 || c > n) throw new RangeError(`correct count ${c} is outside 0..${n}`);
  // Fewer samples than k: the estimator is undefined. Clamping k to n would quietly report
  // pass@n under the pass@k heading, so the caller gets "not available" instead.
  if (k > n) return null;
  // Every draw of k samples must contain a correct one.
  if (n - c < k) return 1;
  let missAll = 1;
  for (let i = n - c + 1; i <= n; i++) missAll *= 1 - k / i;
  return 1 - missAll;
}

/** Parse a `--k` list such as "1,3,5,7,10": positive integers, deduplicated, ascending. */
export function parseKList(text: string): number[] {
  const parts = text.split(',').map((s) => s.trim());
  const ks = new Set<number>();
  for (const p of parts) {
    const k = Number(p);
    if (p === '' || !Number.isInteger(k) || k < 1) {
      throw new RangeError(`k values must be positive integers separated by commas, got "${text}"`);
    }
    ks.add(k);
  }
  return [...ks].sort((a, b) => a - b);
}

export const DEFAULT_KS: readonly number[] = [1, 3, 5, 7, 10];
