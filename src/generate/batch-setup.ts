import { existsSync } from 'node:fs';
import { UserError } from '../core/errors.js';
import type { BatchApi, ModelProvider } from '../core/model.js';
import { sampleKey } from '../core/sample.js';
import type { BatchView } from './batch-delivery.js';
import { BatchLedger, ledgerFileOf } from './batch-ledger.js';
import { type Job, jobKey } from './plan.js';
import type { GenerateProgress } from './types.js';

/** `--batch` needs a provider with a batch API: OpenAI's (and servers that offer it) or Anthropic's. */
export function batchApiOf(provider: ModelProvider, model: string): BatchApi {
  if (!provider.batchApi) throw new UserError(`--batch: ${model} has no batch API; openai:, openai-completions: and anthropic: models have one`);
  return provider.batchApi();
}

/**
 * How often batches are polled: first after CODESECEVAL_BATCH_POLL_MS (default 15 s), then
 * half as long again each time, up to 20 times the first (5 min), so a day's wait is a few
 * hundred requests. CODESECEVAL_BATCH_MAX_REQUESTS splits batches smaller than the provider's
 * limits. Both exist for tests and unusual servers.
 */
export function batchTiming(env: Record<string, string | undefined>): { pollMs: number; maxRequests?: number } {
  const num = (name: string, fallback: number | undefined) => {
    const v = env[name];
    if (v === undefined || v === '') return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new UserError(`${name} must be a positive integer, got "${v}"`);
    return n;
  };
  const maxRequests = num('CODESECEVAL_BATCH_MAX_REQUESTS', undefined);
  return { pollMs: num('CODESECEVAL_BATCH_POLL_MS', 15_000)!, ...(maxRequests !== undefined ? { maxRequests } : {}) };
}

export function batchProgress(v: BatchView): NonNullable<GenerateProgress['batches']> {
  const sum = (f: (s: BatchView['statuses'][number]) => number) => v.statuses.reduce((n, s) => n + f(s), 0);
  const states = new Map<string, number>();
  for (const s of v.statuses) states.set(s.providerStatus, (states.get(s.providerStatus) ?? 0) + 1);
  return {
    submitted: v.submitted.length,
    waiting: v.statuses.filter((s) => s.state === 'in_progress').length,
    completed: sum((s) => s.counts.completed),
    failed: sum((s) => s.counts.failed),
    total: sum((s) => s.counts.total),
    status: [...states].map(([k, n]) => `${n} ${k}`).join(', '),
  };
}

/**
 * Samples whose requests wait in a recorded batch are not asked again one by one (they would
 * be paid twice): without --batch the run is refused, naming the batches and the ways on.
 */
export function refuseBatchesInFlight(outFile: string, todo: readonly Job[], model: string): void {
  const file = ledgerFileOf(outFile);
  if (!todo.length || !existsSync(file)) return;
  const wanted = new Set(todo.map((j) => jobKey(j, model)));
  const held = new BatchLedger(file)
    .inFlight()
    .filter((b) => b.model === model && b.requests.some((r) => wanted.has(sampleKey(r.task_id, r.experiment, model, r.sample_index))));
  if (!held.length) return;
  throw new UserError(
    `${file} records ${held.length} batch(es) still in flight holding samples this command would make (${held.map((b) => b.id).join(', ')}); ` +
      'add --batch to collect them, or remove that file to ask again one by one (paying again)',
  );
}
