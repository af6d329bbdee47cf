import { existsSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_ANALYZER, requireAnalyzer } from '../analyzers/registry.js';
import { UserError } from '../core/errors.js';
import type { Executor } from '../core/exec.js';
import type { Experiment } from '../core/experiments.js';
import { type BatchApi, type CompletionResult, type ModelProvider, type Prompt, ProviderError, type SamplingParams } from '../core/model.js';
import { sampleKey } from '../core/sample.js';
import type { Dataset, Subset, Task } from '../core/task.js';
import { strategyFor, type Answer, type SampleDraft } from '../experiments/index.js';
import { acquireLock, type Lock } from '../io/lock.js';
import { cacheDir as defaultCacheRoot, checkOutputFile } from '../io/paths.js';
import { AdaptiveLimiter } from '../models/adaptive-limit.js';
import { createProvider, parseModelArg, samplingWarnings } from '../models/registry.js';
import { ReplayProvider } from '../models/replay.js';
import { createExecutor, type EngineOptions } from '../sandbox/index.js';
import { BatchDelivery, type BatchView } from './batch-delivery.js';
import { BatchLedger, ledgerFileOf } from './batch-ledger.js';
import { ResponseCache, cacheKey } from './cache.js';
import { contextFor } from './context.js';
import { RunControl, Stopped } from './control.js';
import { type Delivery, requestDelivery } from './delivery.js';
import { checkGenerationSettings, GENERATION_DEFAULTS as DEFAULTS, type GenerationSettings } from './options.js';
import { type Job, jobKey, jobsToDo, modelUnderSettings, planJobs } from './plan.js';
import { type DeliveryNote, SampleRecorder } from './record.js';
import { dropFailedLines, readExistingSamples } from './samples-file.js';
import { selectTasks } from './select.js';

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

/**
 * Make model samples for the chosen tasks and experiments and append them to `outFile`.
 * Samples already in the file are skipped, answers already in the response cache are not
 * asked for again, and a run stopped at any moment is finished by running it again. Each
 * experiment's strategy decides what to ask; this stage plans, caches, throttles, records.
 */
/**
 * Make model samples for the chosen tasks and experiments and append them to `outFile`.
 * Samples already in the file are skipped, answers already in the response cache are not
 * asked for again, and a run stopped at any moment is finished by running it again. Each
 * experiment's strategy decides what to ask; the plan says which samples are left, the
 * delivery asks, the recorder writes, and this function wires them together.
 */
export async function generateSamples(options: GenerateOptions): Promise<GenerateSummary> {
  checkGenerationSettings(options as unknown as Record<string, unknown>);
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const experiments: Experiment[] = options.experiments?.length ? options.experiments : ['direct-generation'];
  const strategies = experiments.map((e) => strategyFor(e));
  const model = parseModelArg(options.model);
  // Cut when the server pushes back, grown again as requests succeed; the provider tells it.
  const limiter = new AdaptiveLimiter(options.concurrency ?? DEFAULTS.concurrency);
  const provider: ModelProvider = await createProvider(
    options.model,
    {
      baseURL: options.baseURL,
      maxRetries: options.maxRetries,
      timeoutMs: options.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs,
      retry: { ...options.retryBackoff, ...(options.retryBudgetMs !== undefined ? { budgetMs: options.retryBudgetMs } : {}) },
      feedback: limiter,
      env: options.env,
    },
    options.dataset,
  );

  let tasks = selectTasks(options.dataset, options.tasks, options.subset);
  const replay = provider instanceof ReplayProvider ? provider : null;
  if (replay && options.n === undefined) {
    tasks = replay.covered(tasks, experiments);
    if (!tasks.length) throw new UserError(`--model ${options.model}: the file has no sample for the selected tasks`);
  }
  const samplesOf = (t: Task, e: Experiment) => (replay && options.n === undefined ? replay.samplesFor(t.id, e) : (options.n ?? DEFAULTS.n));
  provider.checkTasks?.(tasks);
  const batchApi = options.batch || options.batchDetach ? batchApiOf(provider, options.model) : null;

  // Templates load and are checked against every task before anything is opened or asked.
  const analyzer = options.analyzer ?? DEFAULT_ANALYZER;
  const prepared = strategies.map((s) =>
    s.prepare({
      style: provider.style === 'completion' ? 'completion' : 'chat',
      override: options.promptTemplate,
      tasks,
      chatProvider: model.entry.chat,
      rounds: options.rounds ?? DEFAULTS.rounds,
      baseExperiment: options.feedbackBase ?? DEFAULTS.feedbackBase,
      analyzer,
    }),
  );

  const notice = options.onNotice ?? (() => {});
  const customServer = options.baseURL !== undefined || Boolean((options.env ?? process.env).OPENAI_BASE_URL);
  for (const w of samplingWarnings(options.model, { temperature: options.temperature, topP: options.topP, customServer })) notice(w);

  // An analyzer that cannot run here stops the run before any request, not at its first use.
  if (strategies.some((s) => s.needs.analyzer)) await requireAnalyzer(analyzer);

  const outFile = options.outFile;
  checkOutputFile(outFile, { flag: '--out', createFolder: true, inputs: replay ? [{ flag: '--model replay:', file: replay.file }] : [] });
  const lock: Lock = acquireLock(outFile, { command: 'codeseceval generate' });
  let executor: Executor | null = null;
  try {
    let existing = readExistingSamples(outFile);
    if (existing.droppedPartialLine) notice(`${outFile}: removed a partly written last line (an interrupted run); its sample is made again`);

    const baseParams: SamplingParams = { maxTokens: options.maxTokens ?? DEFAULTS.maxTokens };
    if (options.temperature !== undefined) baseParams.temperature = options.temperature;
    if (options.topP !== undefined) baseParams.topP = options.topP;
    if (options.seed !== undefined) baseParams.seed = options.seed;

    const jobs = planJobs(experiments, prepared, tasks, samplesOf);
    // Samples already made under other settings are never silently reused (nor mixed in).
    const recordedModel = modelUnderSettings(jobs, existing, baseParams, samplesOf, { name: provider.spec, spec: model.spec }, options.settingsChanged ?? 'refuse', outFile, notice);
    if (options.retryErrors) {
      const planned = new Set(jobs.map((j) => jobKey(j, recordedModel)));
      const dropped = dropFailedLines(outFile, (key) => planned.has(key));
      if (dropped) {
        notice(`${outFile}: removed ${dropped} failed sample(s) to make them again`);
        existing = readExistingSamples(outFile);
      }
    }
    const todo = jobsToDo(jobs, existing, recordedModel);
    if (!batchApi) refuseBatchesInFlight(outFile, todo, recordedModel);
    // A resumed command says what it kept and what is left, before the first request.
    if (todo.length && todo.length < jobs.length) notice(`resuming: ${jobs.length - todo.length} sample(s) kept in ${outFile}, ${todo.length} to make`);

    const cache = provider.cacheIdentity && options.cacheDir !== null ? new ResponseCache(options.cacheDir ?? path.join(defaultCacheRoot(), 'responses')) : null;
    const progress: GenerateProgress = { done: 0, total: todo.length, errors: 0, cached: 0, requests: 0, alreadyDone: jobs.length - todo.length, elapsedMs: 0, batched: 0 };
    const report = () => options.onProgress?.({ ...progress, elapsedMs: elapsed() });
    report();
    if (!todo.length) return { ...progress, interrupted: false, firstError: null, outFile, elapsedMs: elapsed() };

    // Samples run their programs concurrently, one call each: the engine shares its workers across calls.
    if (strategies.some((s) => s.needs.executor)) executor = createExecutor(options.engine ?? {});

    const control = new RunControl();
    const store = (key: string, result: CompletionResult) =>
      cache?.put(key, { text: result.text, usage: result.usage, latencyMs: result.latencyMs, finishReason: result.finishReason, createdAt: new Date().toISOString() });
    const batching = batchApi
      ? new BatchDelivery({
          api: batchApi,
          ledger: new BatchLedger(ledgerFileOf(outFile)),
          control,
          server: provider.cacheIdentity?.baseURL ?? '',
          model: recordedModel,
          ...batchTiming(options.env ?? process.env),
          detach: options.batchDetach ?? false,
          store,
          counts: progress,
          notice,
          onStatus: () => {
            progress.batches = batchProgress(batching!.batches());
            report();
          },
        })
      : null;
    const delivery: Delivery = batching ?? requestDelivery(provider, limiter, control, progress);
    // The user's stop (Ctrl-C) asks nothing new but lets requests in flight finish, so every
    // answer already paid for is recorded (in the cache, and in the file when its sample is
    // complete); a second Ctrl-C ends the process at once (src/cli/signals.ts).
    const onAbort = () => {
      const line = delivery.stopNotice();
      control.draining.abort();
      if (line) notice(line);
    };
    if (options.signal?.aborted) control.draining.abort();
    options.signal?.addEventListener('abort', onAbort);
    const recorder = new SampleRecorder(outFile, { model: recordedModel, spec: model.spec, samplesOf: (j) => samplesOf(j.task, j.experiment) }, progress);

    const ask = async (job: Job, note: DeliveryNote, prompt: Prompt, params: SamplingParams): Promise<Answer> => {
      if (control.stopping()) throw new Stopped();
      const key = provider.cacheIdentity ? cacheKey({ ...provider.cacheIdentity, prompt, params, sampleIndex: job.sampleIndex }) : null;
      const hit = cache && key ? cache.get(key) : null;
      if (hit) {
        progress.cached++;
        return { result: { text: hit.text, usage: hit.usage, latencyMs: hit.latencyMs, finishReason: hit.finishReason }, cached: true, error: null };
      }
      const answer = await delivery.ask({ job, prompt, params, key });
      // A batch's answers are stored as soon as they are read, awaited or not.
      if (key && answer.result && !answer.batch) store(key, answer.result);
      if (answer.batch) note.batches.add(answer.batch);
      return { result: answer.result, cached: answer.cached, error: answer.error };
    };
    const setup = { style: provider.style, params: baseParams, soft: options.soft ?? false, analyzer, executor: () => executor, control };

    const runJob = async (job: Job): Promise<void> => {
      if (control.stopping()) return;
      const note: DeliveryNote = { batches: new Set() };
      let draft: SampleDraft;
      try {
        draft = await job.prepared.run(contextFor(job, (prompt, params) => ask(job, note, prompt, params), setup));
      } catch (e) {
        // An interruption or another request's fatal error: this sample is simply not done yet.
        if (e instanceof Stopped || control.stopping()) return;
        control.fail(e);
        return;
      }
      recorder.write(job, draft, note);
      report();
    };
    // A failure outside the request (a full disk, a bug) stops the run like a fatal request
    // error, after the jobs in flight have settled, so the writer is never closed under them.
    const guarded = (job: Job) => runJob(job).catch((e: unknown) => control.fail(e));
    try {
      await delivery.runAll(todo, guarded);
    } finally {
      recorder.close();
      options.signal?.removeEventListener('abort', onAbort);
    }
    if (control.fatal) {
      const fatal = control.fatal;
      const msg = fatal instanceof Error ? fatal.message : String(fatal);
      const kept = `${progress.alreadyDone + progress.done} sample(s) are in ${outFile}; fix the cause and run the same command to continue`;
      if (fatal instanceof ProviderError || fatal instanceof UserError) throw new UserError(`${msg} — ${kept}`);
      throw new Error(`${msg} — ${kept}`, { cause: fatal });
    }
    const batch = batching ? { ...batching.batches(), ledger: ledgerFileOf(outFile), detached: options.batchDetach ?? false } : undefined;
    return { ...progress, elapsedMs: elapsed(), interrupted: control.stopping(), firstError: recorder.firstError, outFile, ...(batch ? { batch } : {}) };
  } finally {
    executor?.close();
    lock.release();
  }
}

/** `--batch` needs a provider with a batch API: OpenAI's (and servers that offer it) or Anthropic's. */
function batchApiOf(provider: ModelProvider, model: string): BatchApi {
  if (!provider.batchApi) throw new UserError(`--batch: ${model} has no batch API; openai:, openai-completions: and anthropic: models have one`);
  return provider.batchApi();
}

/**
 * How often batches are polled: first after CODESECEVAL_BATCH_POLL_MS (default 15 s), then
 * half as long again each time, up to 20 times the first (5 min), so a day's wait is a few
 * hundred requests. CODESECEVAL_BATCH_MAX_REQUESTS splits batches smaller than the provider's
 * limits. Both exist for tests and unusual servers.
 */
function batchTiming(env: Record<string, string | undefined>): { pollMs: number; maxRequests?: number } {
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

function batchProgress(v: BatchView): NonNullable<GenerateProgress['batches']> {
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
function refuseBatchesInFlight(outFile: string, todo: readonly Job[], model: string): void {
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
