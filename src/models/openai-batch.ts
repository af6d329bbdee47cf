import { type OpenAI, toFile } from 'openai';
import { z } from 'zod';
import type { BatchApi, BatchOutcome, BatchRequest, BatchState, BatchStatus, CompletionResult } from '../core/model.js';

/** The Batch API's own limits per input file (platform.openai.com/docs/guides/batch). */
export const OPENAI_BATCH_LIMITS = { requests: 50_000, bytes: 200 * 1024 * 1024 };

const STATES: Record<string, BatchState> = {
  validating: 'in_progress',
  in_progress: 'in_progress',
  finalizing: 'in_progress',
  cancelling: 'in_progress',
  completed: 'ended',
  failed: 'failed',
  expired: 'expired',
  cancelled: 'cancelled',
};

const BatchObject = z.looseObject({
  id: z.string(),
  status: z.string(),
  request_counts: z.object({ total: z.number(), completed: z.number(), failed: z.number() }).nullish(),
  output_file_id: z.string().nullish(),
  error_file_id: z.string().nullish(),
  errors: z.looseObject({ data: z.array(z.looseObject({ message: z.string().nullish(), line: z.number().nullish() })).nullish() }).nullish(),
});

const OutputLine = z.looseObject({
  custom_id: z.string(),
  response: z.looseObject({ status_code: z.number(), body: z.unknown() }).nullish(),
  error: z.looseObject({ code: z.string().nullish(), message: z.string().nullish() }).nullish(),
});

/** A per-line error body as the API words it: `{"error": {"message": ...}}`. */
const ErrorBody = z.looseObject({ error: z.looseObject({ message: z.string().nullish(), code: z.string().nullish() }) });

/**
 * OpenAI's Batch API through the official client: the request lines are uploaded as a JSONL
 * file (purpose "batch"), the batch is created over it, and the output and error files are
 * read back when it ends. `body` and `parse` are the provider's own, so a batched request is
 * byte for byte the request `complete` would send.
 */
export function openaiBatchApi(
  client: OpenAI,
  url: '/v1/chat/completions' | '/v1/completions',
  body: (r: BatchRequest) => object,
  parse: (body: unknown) => CompletionResult,
): BatchApi {
  const line = (r: BatchRequest) => JSON.stringify({ custom_id: r.customId, method: 'POST', url, body: body(r) });
  return {
    provider: 'openai',
    limits: OPENAI_BATCH_LIMITS,
    size: (r) => Buffer.byteLength(line(r)) + 1,
    async submit(reqs, signal) {
      const text = reqs.map((r) => `${line(r)}\n`).join('');
      const file = await client.files.create({ file: await toFile(Buffer.from(text), 'codeseceval-batch.jsonl'), purpose: 'batch' }, { signal });
      const batch = await client.batches.create({ input_file_id: file.id, endpoint: url, completion_window: '24h' }, { signal });
      return batch.id;
    },
    async status(id, signal) {
      const b = BatchObject.parse(await client.batches.retrieve(id, { signal }));
      const counts = b.request_counts ?? { total: 0, completed: 0, failed: 0 };
      const message = b.errors?.data?.map((e) => (e.line != null ? `line ${e.line}: ${e.message ?? ''}` : (e.message ?? ''))).join('; ');
      const status: BatchStatus = {
        id: b.id,
        state: STATES[b.status] ?? 'in_progress',
        providerStatus: b.status,
        counts: { completed: counts.completed, failed: counts.failed, total: counts.total },
        outputs: [b.output_file_id, b.error_file_id].filter((f): f is string => Boolean(f)),
      };
      if (message) status.message = message;
      return status;
    },
    async results(status, signal) {
      const out: BatchOutcome[] = [];
      for (const fileId of status.outputs ?? []) {
        const text = await (await client.files.content(fileId, { signal })).text();
        for (const raw of text.split('\n')) if (raw.trim()) out.push(outcomeOf(raw, status.id, parse));
      }
      return out;
    },
  };
}

function outcomeOf(raw: string, batchId: string, parse: (body: unknown) => CompletionResult): BatchOutcome {
  let parsed: z.infer<typeof OutputLine>;
  try {
    parsed = OutputLine.parse(JSON.parse(raw));
  } catch {
    // A line we cannot read names no request: its request ends up "no result" below.
    return { customId: '', error: `batch ${batchId}: unreadable result line` };
  }
  const customId = parsed.custom_id;
  const where = `batch ${batchId}`;
  if (parsed.error) return { customId, error: `${where}: ${parsed.error.code ?? 'error'}: ${parsed.error.message ?? 'no message'}` };
  const res = parsed.response;
  if (!res) return { customId, error: `${where}: the result line holds no response` };
  if (res.status_code !== 200) {
    const e = ErrorBody.safeParse(res.body);
    return { customId, error: `${where}: HTTP ${res.status_code}: ${e.success ? (e.data.error.message ?? e.data.error.code ?? '') : 'no message'}` };
  }
  try {
    return { customId, result: parse(res.body) };
  } catch (e) {
    return { customId, error: `${where}: ${(e as Error).message}` };
  }
}
