import type { GeneratedSample } from '../core/sample.js';
import type { SampleDraft } from '../experiments/index.js';
import { JsonlAppender } from '../io/write.js';
import type { Job } from './plan.js';

export interface RecordIds {
  /** The name the samples are recorded under (the model, or model+settings tag). */
  model: string;
  /** The provider spec behind it. */
  spec: string;
  samplesOf: (job: Job) => number;
}

/** How the answers of one sample reached the model, recorded on it when a batch carried any. */
export interface DeliveryNote {
  batches: Set<string>;
}

/** The samples line of one finished job. */
export function sampleLine(job: Job, d: SampleDraft, ids: RecordIds, delivery: DeliveryNote | null): GeneratedSample {
  return {
    task_id: job.task.id,
    experiment: job.experiment,
    model: ids.model,
    ...(ids.spec !== ids.model ? { model_spec: ids.spec } : {}),
    sample_index: job.sampleIndex,
    prompt_hash: job.promptHash,
    prompt: d.prompt,
    template: d.template,
    raw: d.raw,
    solution: d.solution,
    extraction: d.extraction,
    finish_reason: d.finishReason,
    usage: d.usage,
    latency_ms: d.latencyMs,
    cached: d.cached,
    params: {
      temperature: d.params.temperature ?? null,
      top_p: d.params.topP ?? null,
      max_tokens: d.params.maxTokens,
      seed: d.params.seed ?? null,
      stop: d.params.stop ?? null,
      n: ids.samplesOf(job),
    },
    error: d.error,
    created_at: new Date().toISOString(),
    ...(d.rounds ? { rounds: d.rounds } : {}),
    ...d.extra,
    // Made at batch prices: the report says how many results were.
    ...(delivery?.batches.size ? { delivery: 'batch', batch_ids: [...delivery.batches].sort() } : {}),
  };
}

export interface RecordCounts {
  done: number;
  errors: number;
}

/** The one writer of the samples file: appends whole lines, counts what it wrote. */
export class SampleRecorder {
  private readonly writer: JsonlAppender<GeneratedSample>;
  firstError: string | null = null;

  constructor(
    file: string,
    private readonly ids: RecordIds,
    private readonly counts: RecordCounts,
  ) {
    this.writer = new JsonlAppender<GeneratedSample>(file);
  }

  write(job: Job, draft: SampleDraft, delivery: DeliveryNote | null): void {
    this.writer.append(sampleLine(job, draft, this.ids, delivery));
    this.counts.done++;
    if (draft.error) {
      this.counts.errors++;
      this.firstError ??= `${job.task.id} #${job.sampleIndex}: ${draft.error}`;
    }
  }

  close(): void {
    this.writer.close();
  }
}
