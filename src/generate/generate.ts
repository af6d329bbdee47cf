import path from 'node:path';
import { DEFAULT_ANALYZER, requireAnalyzer } from '../analyzers/registry.js';
import { UserError } from '../core/errors.js';
import type { Executor } from '../core/exec.js';
import type { Experiment } from '../core/experiments.js';
import { type ModelProvider, type Prompt, ProviderError, type SamplingParams } from '../core/model.js';
import type { Dataset, Subset, Task } from '../core/task.js';
import { strategyFor, type Answer, type SampleDraft } from '../experiments/index.js';
import { acquireLock, type Lock } from '../io/lock.js';
import { cacheDir as defaultCacheRoot, checkOutputFile } from '../io/paths.js';
import { AdaptiveLimiter } from '../models/adaptive-limit.js';
import { createProvider, parseModelArg, samplingWarnings } from '../models/registry.js';
import { ReplayProvider } from '../models/replay.js';
import { createExecutor, type EngineOptions } from '../sandbox/index.js';
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
}

export interface GenerateSummary extends GenerateProgress {
  interrupted: boolean;
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
    // A resumed command says what it kept and what is left, before the first request.
    if (todo.length && todo.length < jobs.length) notice(`resuming: ${jobs.length - todo.length} sample(s) kept in ${outFile}, ${todo.length} to make`);

    const cache = provider.cacheIdentity && options.cacheDir !== null ? new ResponseCache(options.cacheDir ?? path.join(defaultCacheRoot(), 'responses')) : null;
    const progress: GenerateProgress = { done: 0, total: todo.length, errors: 0, cached: 0, requests: 0, alreadyDone: jobs.length - todo.length, elapsedMs: 0 };
    const report = () => options.onProgress?.({ ...progress, elapsedMs: elapsed() });
    report();
    if (!todo.length) return { ...progress, interrupted: false, firstError: null, outFile, elapsedMs: elapsed() };

    // Samples run their programs concurrently, one call each: the engine shares its workers across calls.
    if (strategies.some((s) => s.needs.executor)) executor = createExecutor(options.engine ?? {});

    const control = new RunControl();
    const delivery: Delivery = requestDelivery(provider, limiter, control, progress);
    // The user's stop (Ctrl-C) asks nothing new but lets requests in flight finish, so every
    // answer already paid for is recorded (in the cache, and in the file when its sample is
    // complete); a second Ctrl-C ends the process at once (src/cli/signals.ts).
    const onAbort = () => {
      control.draining.abort();
      if (delivery.inFlight()) notice(`stopping: waiting for ${delivery.inFlight()} request(s) in flight, whose answers are kept; Ctrl-C again abandons them`);
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
      const { result } = answer;
      if (cache && key && result) {
        cache.put(key, { text: result.text, usage: result.usage, latencyMs: result.latencyMs, finishReason: result.finishReason, createdAt: new Date().toISOString() });
      }
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
    return { ...progress, elapsedMs: elapsed(), interrupted: control.stopping(), firstError: recorder.firstError, outFile };
  } finally {
    executor?.close();
    lock.release();
  }
}
