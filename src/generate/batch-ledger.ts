import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { FileError, issueLine } from '../io/errors.js';
import { writeFileAtomicSync } from '../io/write.js';

/** One batch created at a provider: enough to find it again and to know what it holds. */
export const LedgerBatch = z.object({
  provider: z.string(),
  id: z.string().min(1),
  /** The server the batch lives on, and the model name its samples are recorded under. */
  server: z.string(),
  model: z.string(),
  created_at: z.string(),
  /** submitted: results not read yet (a resume collects it); collected: read and stored. */
  state: z.enum(['submitted', 'collected']),
  /** How the provider ended it (ended, failed, expired, cancelled), once collected. */
  outcome: z.string().optional(),
  requests: z.array(z.object({ custom_id: z.string(), task_id: z.string(), experiment: z.string(), sample_index: z.number().int().nonnegative() })),
  /** Requests of a collected batch that got no answer: a later run asks them again. */
  errored: z.array(z.string()).optional(),
});
export type LedgerBatch = z.infer<typeof LedgerBatch>;

const LedgerFile = z.object({ version: z.literal(1), batches: z.array(LedgerBatch) });

/** The ledger of a samples file: `<samples file>.batches.json`. */
export function ledgerFileOf(samplesFile: string): string {
  return `${samplesFile}.batches.json`;
}

/**
 * Every batch this samples file ever sent, written before its polling starts, so a run killed
 * at any point (even kill -9) and run again collects the batches already paid for instead of
 * creating new ones. The file is replaced whole by rename and flushed to disk; its one writer
 * is the process holding the samples file's lock.
 */
export class BatchLedger {
  private readonly batches: LedgerBatch[];
  /** custom_id → the latest batch that holds it. */
  private readonly byKey = new Map<string, LedgerBatch>();

  constructor(readonly file: string) {
    this.batches = existsSync(file) ? read(file) : [];
    for (const b of this.batches) this.index(b);
  }

  private index(b: LedgerBatch): void {
    for (const r of b.requests) this.byKey.set(r.custom_id, b);
  }

  private save(): void {
    writeFileAtomicSync(this.file, `${JSON.stringify({ version: 1, batches: this.batches }, null, 1)}\n`, { fsync: true });
  }

  /** The batch holding this request, unless it was collected without an answer for it. */
  holding(customId: string): LedgerBatch | null {
    const b = this.byKey.get(customId);
    if (!b) return null;
    if (b.state === 'collected' && b.errored?.includes(customId)) return null;
    return b;
  }

  add(b: LedgerBatch): void {
    this.batches.push(b);
    this.index(b);
    this.save();
  }

  collected(id: string, outcome: string, errored: string[]): void {
    const b = this.batches.find((x) => x.id === id);
    if (!b) return;
    b.state = 'collected';
    b.outcome = outcome;
    b.errored = errored;
    this.save();
  }

  requestsOf(id: string): string[] {
    return this.batches.find((b) => b.id === id)?.requests.map((r) => r.custom_id) ?? [];
  }

  inFlight(): LedgerBatch[] {
    return this.batches.filter((b) => b.state === 'submitted');
  }
}

function read(file: string): LedgerBatch[] {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new FileError(`${file}: not a batch ledger (${(e as Error).message}); it records batches already paid for, so it was left as it is`, file);
  }
  const parsed = LedgerFile.safeParse(data);
  if (!parsed.success) throw new FileError(`${issueLine(file, parsed.error)}; it records batches already paid for, so it was left as it is`, file);
  return parsed.data.batches;
}
