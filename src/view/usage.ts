/**
 * What a result set cost: tokens and model latency summed over its samples, from the fields
 * `generate` records on each sample (`usage`, `latency_ms`, `cached`). Samples from elsewhere
 * may carry none of them; they count as samples without usage.
 */
export interface UsageTotals {
  /** Samples that recorded token usage. */
  withUsage: number;
  inputTokens: number;
  outputTokens: number;
  /** Samples that recorded a latency (answers read from the cache are not counted). */
  timed: number;
  latencyMs: number;
  /** Answers served from the response cache (no request made). */
  cached: number;
}

export function emptyUsage(): UsageTotals {
  return { withUsage: 0, inputTokens: 0, outputTokens: 0, timed: 0, latencyMs: 0, cached: 0 };
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : null);

/** Add one result line's recorded usage (its fields are untrusted: anything odd is skipped). */
export function addUsage(t: UsageTotals, line: Record<string, unknown>): void {
  const u = line.usage;
  if (u && typeof u === 'object') {
    const i = num((u as Record<string, unknown>).input_tokens);
    const o = num((u as Record<string, unknown>).output_tokens);
    if (i !== null && o !== null) {
      t.withUsage++;
      t.inputTokens += i;
      t.outputTokens += o;
    }
  }
  if (line.cached === true) t.cached++;
  else {
    const ms = num(line.latency_ms);
    if (ms !== null) {
      t.timed++;
      t.latencyMs += ms;
    }
  }
}

/** The per-sample means the overview shows; null where nothing was recorded. */
export function usageSummary(t: UsageTotals, samples: number) {
  return {
    samples_with_usage: t.withUsage,
    input_tokens: t.inputTokens,
    output_tokens: t.outputTokens,
    mean_input_tokens: t.withUsage ? t.inputTokens / t.withUsage : null,
    mean_output_tokens: t.withUsage ? t.outputTokens / t.withUsage : null,
    mean_latency_ms: t.timed ? t.latencyMs / t.timed : null,
    cached: t.cached,
    samples,
  };
}
