import type { Shard } from '../core/shard.js';
import type { Experiment } from '../core/experiments.js';
import type { Dataset, Subset } from '../core/task.js';
import type { EngineOptions } from '../sandbox/index.js';
import type { GenerationSettings } from './options.js';

/**
 * The library's options: the settings the CLI shares (one schema, src/generate/options.ts),
 * and what only a caller in code gives.
 */
export interface GenerateOptions extends Omit<GenerationSettings, 'subset'> {
  dataset: Dataset;
  /** A --model value: SPEC or LABEL=SPEC (openai:<m>, openai-completions:<m>, anthropic:<m>, reference:secure|insecure, replay:<file>). */
  model: string;
  outFile: string;
  /** Default: direct-generation. */
  experiments?: Experiment[];
  subset?: Subset;
  /** Backoff without Retry-After: base doubled per retry up to max. Default 1 s, 30 s (tests shorten them). */
  retryBackoff?: { baseDelayMs?: number; maxDelayMs?: number };
  /** Multi-round experiments run programs while generating: the sandbox settings. */
  engine?: EngineOptions;
  /** Multi-round experiments: also a soft-assert run of every round's program (per-round func/sec split). */
  soft?: boolean;
  /** API keys and base URLs are read from here. Default process.env. */
  env?: Record<string, string | undefined>;
  /**
   * Make only the samples whose key (task, model, experiment, index) falls in this shard, into
   * the shard's own file beside `outFile` (`samples.shard-2-of-4.jsonl`).
   */
  shard?: Shard;
  /** Aborting stops new requests and lets those in flight finish; nothing half-done is written. */
  signal?: AbortSignal;
  onProgress?: (p: GenerateProgress) => void;
  /** Things worth a line on stderr (a partial line dropped, failed samples removed for retry). */
  onNotice?: (message: string) => void;
}

export interface GenerateProgress {
  /** Samples written by this run so far, of `total` this run has to make. */
  done: number;
  total: number;
  errors: number;
  cached: number;
  requests: number;
  /** Samples already in the out file when the run started. */
  alreadyDone: number;
  elapsedMs: number;
  /** Requests sent through the provider's batch API by this run (at batch prices). */
  batched: number;
  /** With --batch: the batches this run waits for, and their counts summed. */
  batches?: { submitted: number; waiting: number; completed: number; failed: number; total: number; status: string };
}

export interface GenerateSummary extends GenerateProgress {
  interrupted: boolean;
  /** With --batch: the batches submitted by this run, those left with the provider, and the ledger recording them. */
  batch?: { submitted: string[]; inFlight: string[]; ledger: string; detached: boolean };
  firstError: string | null;
  outFile: string;
}

