import type Anthropic from '@anthropic-ai/sdk';
import { z } from 'zod';
import type { BatchApi, BatchOutcome, BatchRequest, BatchStatus, CompletionResult } from '../core/model.js';

/** The Message Batches API's own limits per batch (docs.anthropic.com, batch processing). */
export const ANTHROPIC_BATCH_LIMITS = { requests: 100_000, bytes: 256 * 1024 * 1024 };

const Counts = z.object({ processing: z.number(), succeeded: z.number(), errored: z.number(), canceled: z.number(), expired: z.number() });
const BatchObject = z.looseObject({
  id: z.string(),
  processing_status: z.string(),
  request_counts: Counts,
  cancel_initiated_at: z.string().nullish(),
});

const ResultLine = z.looseObject({
  custom_id: z.string(),
  result: z.discriminatedUnion('type', [
    z.looseObject({ type: z.literal('succeeded'), message: z.unknown() }),
    z.looseObject({ type: z.literal('errored'), error: z.unknown() }),
    z.looseObject({ type: z.literal('canceled') }),
    z.looseObject({ type: z.literal('expired') }),
  ]),
});
const ErrorBody = z.looseObject({ error: z.looseObject({ type: z.string().nullish(), message: z.string().nullish() }) });

/**
 * Anthropic's Message Batches through the official client: one create call with every
 * request's params, polled by `processing_status`, results streamed as JSONL when it ends.
 * An ended batch is reported as cancelled or expired when the provider cancelled or expired
 * any of its requests, so the user hears of it in one line.
 */
export function anthropicBatchApi(client: Anthropic, params: (r: BatchRequest) => Anthropic.MessageCreateParamsNonStreaming, parse: (message: unknown) => CompletionResult): BatchApi {
  const entry = (r: BatchRequest) => ({ custom_id: r.customId, params: params(r) });
  return {
    provider: 'anthropic',
    limits: ANTHROPIC_BATCH_LIMITS,
    size: (r) => Buffer.byteLength(JSON.stringify(entry(r))) + 1,
    async submit(reqs, signal) {
      const batch = await client.messages.batches.create({ requests: reqs.map(entry) }, { signal });
      return batch.id;
    },
    async status(id, signal) {
      const b = BatchObject.parse(await client.messages.batches.retrieve(id, {}, { signal }));
      const c = b.request_counts;
      const ended = b.processing_status === 'ended';
      const state = !ended ? 'in_progress' : b.cancel_initiated_at ? 'cancelled' : c.expired > 0 ? 'expired' : 'ended';
      const status: BatchStatus = {
        id: b.id,
        state,
        providerStatus: b.processing_status,
        counts: { completed: c.succeeded, failed: c.errored + c.canceled + c.expired, total: c.processing + c.succeeded + c.errored + c.canceled + c.expired },
      };
      return status;
    },
    async results(status, signal) {
      const out: BatchOutcome[] = [];
      const where = `batch ${status.id}`;
      for await (const raw of await client.messages.batches.results(status.id, {}, { signal })) {
        const line = ResultLine.safeParse(raw);
        if (!line.success) continue;
        const { custom_id: customId, result } = line.data;
        if (result.type === 'succeeded') {
          try {
            out.push({ customId, result: parse(result.message) });
          } catch (e) {
            out.push({ customId, error: `${where}: ${(e as Error).message}` });
          }
        } else if (result.type === 'errored') {
          const e = ErrorBody.safeParse(result.error);
          out.push({ customId, error: `${where}: ${e.success ? `${e.data.error.type ?? 'error'}: ${e.data.error.message ?? ''}` : 'errored'}` });
        } else {
          out.push({ customId, error: `${where}: the request was ${result.type === 'expired' ? 'expired (not answered within 24 h)' : 'canceled'}` });
        }
      }
      return out;
    },
  };
}
