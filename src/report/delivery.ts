import { z } from 'zod';
import { Usage } from '../core/model.js';
import { readJsonl } from '../io/jsonl.js';
import { fallbackModel } from '../score/tally.js';
import { text, type Table } from './table-model.js';

/** Per model: how many results were made through a provider's batch API, at its half price. */
export interface ModelDelivery {
  model: string;
  samples: number;
  batchSamples: number;
  inputTokens: number;
  outputTokens: number;
  batchInputTokens: number;
  batchOutputTokens: number;
}

// Results lines carry their sample's fields: usage, and `delivery: "batch"` when made by batch.
const DeliveryLine = z.looseObject({ model: z.string().optional(), usage: Usage.nullish(), delivery: z.string().optional() });

/** Token totals per model, and the part made by batch; empty when no result came by batch. */
export async function deliverySummary(files: readonly string[]): Promise<ModelDelivery[]> {
  const out = new Map<string, ModelDelivery>();
  for (const file of files) {
    const fallback = fallbackModel(file);
    for await (const { value } of readJsonl(file, DeliveryLine, { tornTail: 'parse' })) {
      const model = value.model ?? fallback;
      const m = out.get(model) ?? { model, samples: 0, batchSamples: 0, inputTokens: 0, outputTokens: 0, batchInputTokens: 0, batchOutputTokens: 0 };
      const batch = value.delivery === 'batch';
      m.samples++;
      m.inputTokens += value.usage?.input_tokens ?? 0;
      m.outputTokens += value.usage?.output_tokens ?? 0;
      if (batch) {
        m.batchSamples++;
        m.batchInputTokens += value.usage?.input_tokens ?? 0;
        m.batchOutputTokens += value.usage?.output_tokens ?? 0;
      }
      out.set(model, m);
    }
  }
  const rows = [...out.values()];
  return rows.some((r) => r.batchSamples > 0) ? rows : [];
}

/** The "Results made at batch prices" table, or null when no result came by batch. */
export function batchPricesTable(rows: readonly ModelDelivery[]): Table | null {
  if (!rows.length) return null;
  const n = (v: number) => text(String(v));
  return {
    id: 'table-batch-prices',
    title: 'Results made at batch prices',
    description:
      'Samples whose answers came through the provider’s batch API (OpenAI Batch, Anthropic Message Batches) were billed at the batch price, half the per-request price. Tokens as the provider reported them.',
    columns: [
      { label: 'Model' },
      { label: 'Samples', numeric: true },
      { label: 'By batch', numeric: true },
      { label: 'Input tokens', numeric: true },
      { label: 'Output tokens', numeric: true },
      { label: 'Input tokens by batch', numeric: true },
      { label: 'Output tokens by batch', numeric: true },
    ],
    rows: rows.map((r) => [text(r.model), n(r.samples), n(r.batchSamples), n(r.inputTokens), n(r.outputTokens), n(r.batchInputTokens), n(r.batchOutputTokens)]),
    notes: [],
  };
}
