import { createHash } from 'node:crypto';
import path from 'node:path';
import { inspect } from 'node:util';
import { analyze, DEFAULT_ANALYZER, requireAnalyzer } from '../analyzers/registry.js';
import { taskJob } from '../benchmarks/index.js';
import { UserError } from '../core/errors.js';
import type { Executor } from '../core/exec.js';
import type { Experiment } from '../core/experiments.js';
import { type CompletionResult, isTruncatedFinish, type ModelProvider, type Prompt, ProviderError, type SamplingParams } from '../core/model.js';
import { type GeneratedSample, sampleKey } from '../core/sample.js';
import type { Dataset, Subset, Task } from '../core/task.js';
import { strategyFor, type Answer, type ExperimentContext, type PreparedExperiment, type SampleDraft } from '../experiments/index.js';
import { acquireLock, type Lock } from '../io/lock.js';
import { cacheDir as defaultCacheRoot, checkOutputFile } from '../io/paths.js';
import { JsonlAppender } from '../io/write.js';
import { AdaptiveLimiter } from '../models/adaptive-limit.js';
import { createProvider, parseModelArg, samplingWarnings } from '../models/registry.js';
import { ReplayProvider } from '../models/replay.js';
import { looksLikeCode } from '../prompts/template.js';
import { createExecutor, type EngineOptions } from '../sandbox/index.js';
import { extractProgram } from '../text/extract.js';
import { ResponseCache, cacheKey } from './cache.js';
import { dropFailedLines, type ExistingSamples, readExistingSamples } from './samples-file.js';
import { settingsDifferences, type SettingsChanged, settingsTag, type WantedSettings } from './settings.js';
import { selectTasks } from './select.js';

export interface GenerateOptions {
  dataset: Dataset;
  /** A --model value: SPEC or LABEL=SPEC (openai:<m>, openai-completions:<m>, anthropic:<m>, reference:secure|insecure, replay:<file>). */
  model: string;
  outFile: string;
  /** Default: direct-generation. */
  experiments?: Experiment[];
  /** Samples per task. Default 1; for replay, every sample the file holds for the task. */
  n?: number;
  temperature?: number;
  topP?: number;
  /** Default 2048. */
  maxTokens?: number;
  seed?: number;
  /** Samples already in the file made with other settings: refuse (default), or record these apart. */
  settingsChanged?: SettingsChanged;
  /** Task IDs and CWE identifiers (CWE-79 = CWE-079). */
  tasks?: string[];
  subset?: Subset;
  /** Requests in flight. Default 4. */
  concurrency?: number;
  baseURL?: string;
  /** Upper bound on retries per sample (408/409/429/5xx, timeouts, resets). Default: as many as retryBudgetMs allows. */
  maxRetries?: number;
  /** Time a sample may spend on retries after its first failure. Default 300 000 ms. */
  retryBudgetMs?: number;
  /** Backoff without Retry-After: base doubled per retry up to max. Default 1 s, 30 s (tests shorten them). */
  retryBackoff?: { baseDelayMs?: number; maxDelayMs?: number };
  /** Whole request (headers and body) per attempt. Default 300 000 ms. */
  requestTimeoutMs?: number;
  /** Response cache folder; null turns the cache off. Default <cache dir>/responses. */
  cacheDir?: string | null;
  /** A template file (one experiment) or a folder of <experiment>.<style>.txt files. */
  promptTemplate?: string;
  /** Make again the samples whose request failed in an earlier run. */
  retryErrors?: boolean;
  /** Multi-round experiments: feedback rounds after round 0 (default 3). */
  rounds?: number;
  /** Multi-round experiments: the single-shot experiment that makes round 0 (default direct-generation). */
  feedbackBase?: string;
  /** Multi-round experiments: the static analyzer whose findings are fed back (default bandit). */
  analyzer?: string;
  /** Multi-round experiments run programs while generating: the sandbox settings. */
  engine?: EngineOptions;
  /** Multi-round experiments: also a soft-assert run of every round's program (per-round func/sec split). */
  soft?: boolean;
  /** API keys and base URLs are read from here. Default process.env. */
  env?: Record<string, string | undefined>;
  /** Aborting stops new requests and abandons those in flight; nothing half-done is written. */
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

interface Job {
  task: Task;
  experiment: Experiment;
  prepared: PreparedExperiment;
  promptHash: string;
  sampleIndex: number;
}

const DEFAULTS = { n: 1, maxTokens: 2048, concurrency: 4, requestTimeoutMs: 300_000, rounds: 3, feedbackBase: 'direct-generation' };

function checkNumber(name: string, v: number | undefined, ok: (x: number) => boolean, what: string): void {
  if (v !== undefined && !(Number.isFinite(v) && ok(v))) throw new UserError(`${name} must be ${what}, got ${v}`);
}

function validate(o: GenerateOptions): void {
  checkNumber('-n', o.n, (x) => Number.isInteger(x) && x >= 1, 'a positive integer');
  checkNumber('--temperature', o.temperature, (x) => x >= 0 && x <= 2, 'between 0 and 2');
  checkNumber('--top-p', o.topP, (x) => x > 0 && x <= 1, 'in (0, 1]');
  checkNumber('--max-tokens', o.maxTokens, (x) => Number.isInteger(x) && x >= 1, 'a positive integer');
  checkNumber('--seed', o.seed, (x) => Number.isInteger(x), 'an integer');
  checkNumber('--concurrency', o.concurrency, (x) => Number.isInteger(x) && x >= 1, 'a positive integer');
  checkNumber('--max-retries', o.maxRetries, (x) => Number.isInteger(x) && x >= 0, 'a non-negative integer');
  checkNumber('--request-timeout', o.requestTimeoutMs, (x) => x > 0 && x <= 86_400_000, 'positive, at most a day');
  checkNumber('--retry-budget', o.retryBudgetMs, (x) => x >= 0, 'zero or more');
  checkNumber('--rounds', o.rounds, (x) => Number.isInteger(x) && x >= 0 && x <= 20, 'an integer from 0 to 20');
}

/**
 * The model name the samples of this command are recorded under: the provider's, unless the
 * samples file already holds some of the same samples made with other settings. Then the run
 * is refused in one line naming each difference, or with `--settings-changed new` the new
 * samples get their own name (`<model>+<tag>`), so both sets stay apart in every report.
 */
function modelUnderSettings(
  jobs: readonly Job[],
  existing: ExistingSamples,
  params: SamplingParams,
  samplesOf: (t: Task, e: Experiment) => number,
  ids: { name: string; spec: string },
  policy: SettingsChanged,
  outFile: string,
  notice: (msg: string) => void,
): string {
  const want = (job: Job): WantedSettings => ({
    modelSpec: ids.spec,
    temperature: params.temperature ?? null,
    topP: params.topP ?? null,
    maxTokens: params.maxTokens,
    seed: params.seed ?? null,
    n: samplesOf(job.task, job.experiment),
    promptHash: job.promptHash,
  });
  const differing = new Map<string, { line: number }>();
  for (const job of jobs) {
    const had = existing.settings.get(sampleKey(job.task.id, job.experiment, ids.name, job.sampleIndex));
    if (!had?.recorded) continue;
    for (const d of settingsDifferences(had.recorded, want(job))) if (!differing.has(d)) differing.set(d, { line: had.line });
  }
  if (!differing.size) return ids.name;
  const list = [...differing].map(([d, { line }]) => `${d} (line ${line})`).join('; ');
  if (policy === 'refuse') {
    throw new UserError(
      `--out ${outFile} holds samples of ${ids.name} made with other settings: ${list}; ` +
        'use another --out, or --settings-changed new to record these samples apart from the earlier ones',
    );
  }
  const first = jobs[0]!;
  const { promptHash: _p, ...base } = want(first);
  const tagged = `${ids.name}+${settingsTag(base, jobs.map((j) => j.promptHash).join(','))}`;
  notice(`${outFile}: settings differ from the earlier samples of ${ids.name} (${list}); these samples are recorded as model "${tagged}"`);
  return tagged;
}

function hashPrompt(prompt: Prompt): string {
  return createHash('sha256').update(JSON.stringify(prompt)).digest('hex').slice(0, 16);
}

/** A request cut short because the run is stopping: the sample is simply not done yet. */
class Stopped extends Error {}

/**
 * Make model samples for the chosen tasks and experiments and append them to `outFile`.
 * Samples already in the file are skipped, answers already in the response cache are not
 * asked for again, and a run stopped at any moment is finished by running it again. Each
 * experiment's strategy decides what to ask; this stage plans, caches, throttles, records.
 */
export async function generateSamples(options: GenerateOptions): Promise<GenerateSummary> {
  validate(options);
  const started = performance.now();
  const experiments: Experiment[] = options.experiments?.length ? options.experiments : ['direct-generation'];
  const strategies = experiments.map((e) => strategyFor(e));
  const timeoutMs = options.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs;
  const model = parseModelArg(options.model);
  // Cut when the server pushes back, grown again as requests succeed; the provider tells it.
  const limiter = new AdaptiveLimiter(options.concurrency ?? DEFAULTS.concurrency);
  const provider: ModelProvider = await createProvider(
    options.model,
    {
      baseURL: options.baseURL,
      maxRetries: options.maxRetries,
      timeoutMs,
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
  const style = provider.style === 'completion' ? 'completion' : 'chat';
  const prepared = strategies.map((s) =>
    s.prepare({
      style,
      override: options.promptTemplate,
      tasks,
      chatProvider: model.entry.chat,
      rounds: options.rounds ?? DEFAULTS.rounds,
      baseExperiment: options.feedbackBase ?? DEFAULTS.feedbackBase,
      analyzer: options.analyzer ?? DEFAULT_ANALYZER,
    }),
  );

  const notice = options.onNotice ?? (() => {});
  const customServer = options.baseURL !== undefined || Boolean((options.env ?? process.env).OPENAI_BASE_URL);
  for (const w of samplingWarnings(options.model, { temperature: options.temperature, topP: options.topP, customServer })) notice(w);

  // An analyzer that cannot run here stops the run before any request, not at its first use.
  if (strategies.some((s) => s.needs.analyzer)) await requireAnalyzer(options.analyzer ?? DEFAULT_ANALYZER);

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

    // Render every first prompt before the first request, so a template problem costs nothing.
    const jobs: Job[] = [];
    experiments.forEach((experiment, e) => {
      for (const task of tasks) {
        const promptHash = hashPrompt(prepared[e]!.firstPrompt(task).prompt);
        for (let i = 0; i < samplesOf(task, experiment); i++) {
          jobs.push({ task, experiment, prepared: prepared[e]!, promptHash, sampleIndex: i });
        }
      }
    });
    // Samples already made under other settings are never silently reused (nor mixed in).
    const recordedModel = modelUnderSettings(jobs, existing, baseParams, samplesOf, { name: provider.spec, spec: model.spec }, options.settingsChanged ?? 'refuse', outFile, notice);
    const planned = new Set(jobs.map((j) => sampleKey(j.task.id, j.experiment, recordedModel, j.sampleIndex)));

    if (options.retryErrors) {
      const dropped = dropFailedLines(outFile, (key) => planned.has(key));
      if (dropped) {
        notice(`${outFile}: removed ${dropped} failed sample(s) to make them again`);
        existing = readExistingSamples(outFile);
      }
    }
    const todo = jobs.filter((j) => !existing.done.has(sampleKey(j.task.id, j.experiment, recordedModel, j.sampleIndex)));
    // A resumed command says what it kept and what is left, before the first request.
    if (todo.length && todo.length < jobs.length) notice(`resuming: ${jobs.length - todo.length} sample(s) kept in ${outFile}, ${todo.length} to make`);

    const cache =
      provider.cacheIdentity && options.cacheDir !== null
        ? new ResponseCache(options.cacheDir ?? path.join(defaultCacheRoot(), 'responses'))
        : null;

    const progress: GenerateProgress = {
      done: 0,
      total: todo.length,
      errors: 0,
      cached: 0,
      requests: 0,
      alreadyDone: jobs.length - todo.length,
      elapsedMs: 0,
    };
    const report = () => options.onProgress?.({ ...progress, elapsedMs: Math.round(performance.now() - started) });
    report();
    if (!todo.length) return { ...progress, interrupted: false, firstError: null, outFile, elapsedMs: Math.round(performance.now() - started) };

    // Samples run their programs concurrently, one call each: the engine shares its workers across calls.
    if (strategies.some((s) => s.needs.executor)) executor = createExecutor(options.engine ?? {});

    const stop = new AbortController();
    const inFlight = new Set<AbortController>();
    stop.signal.addEventListener('abort', () => {
      for (const r of inFlight) r.abort();
    });
    // The user's stop (Ctrl-C) asks nothing new but lets requests in flight finish, so every
    // answer already paid for is recorded (in the cache, and in the file when its sample is
    // complete); a second Ctrl-C ends the process at once (src/cli/signals.ts).
    const draining = new AbortController();
    const onAbort = () => {
      draining.abort();
      if (inFlight.size) notice(`stopping: waiting for ${inFlight.size} request(s) in flight, whose answers are kept; Ctrl-C again abandons them`);
    };
    if (options.signal?.aborted) draining.abort();
    const stopping = () => stop.signal.aborted || draining.signal.aborted;
    options.signal?.addEventListener('abort', onAbort);
    let fatal: unknown = null;
    let firstError: string | null = null;
    const writer = new JsonlAppender<GeneratedSample>(outFile);

    const ask = async (job: Job, prompt: Prompt, params: SamplingParams): Promise<Answer> => {
      if (stopping()) throw new Stopped();
      const key = provider.cacheIdentity ? cacheKey({ ...provider.cacheIdentity, prompt, params, sampleIndex: job.sampleIndex }) : null;
      const hit = cache && key ? cache.get(key) : null;
      if (hit) {
        progress.cached++;
        return { result: { text: hit.text, usage: hit.usage, latencyMs: hit.latencyMs, finishReason: hit.finishReason }, cached: true, error: null };
      }
      if (provider.cacheIdentity) progress.requests++;
      // One signal per request: the SDKs leave their abort listener on the signal they are
      // given after the request ends, and thousands of requests would pile up on a shared one.
      const request = new AbortController();
      inFlight.add(request);
      let result: CompletionResult;
      try {
        result = await provider.complete({
          prompt,
          task: job.task,
          sampleIndex: job.sampleIndex,
          experiment: job.experiment,
          params,
          signal: request.signal,
        });
      } catch (e) {
        if (stop.signal.aborted) throw new Stopped();
        if (e instanceof ProviderError && !e.fatal) return { result: null, cached: false, error: e.message };
        throw e;
      } finally {
        inFlight.delete(request);
      }
      if (cache && key) {
        cache.put(key, {
          text: result.text,
          usage: result.usage,
          latencyMs: result.latencyMs,
          finishReason: result.finishReason,
          createdAt: new Date().toISOString(),
        });
      }
      return { result, cached: false, error: null };
    };

    const contextFor = (job: Job): ExperimentContext => ({
      task: job.task,
      sampleIndex: job.sampleIndex,
      style: provider.style,
      params: baseParams,
      ask: (prompt, params) => ask(job, prompt, params),
      program: (answer, prompt, problem) => {
        if (answer.program) return answer.program;
        if (provider.style === 'program') return { solution: answer.text, method: 'verbatim' };
        return extractProgram(answer.text, {
          entryPoint: job.task.entryPoint,
          style: provider.style === 'completion' ? 'completion' : 'chat',
          prompt: prompt.style === 'completion' ? prompt.text : undefined,
          context: looksLikeCode(problem, job.task.entryPoint) ? problem : null,
          truncated: isTruncatedFinish(answer.finishReason),
        });
      },
      soft: options.soft ?? false,
      execute: async (program, opts) => {
        if (!executor) throw new Error(`experiment ${job.experiment} ran a program without asking for an executor`);
        if (stop.signal.aborted) throw new Stopped();
        const [r] = await executor.run([taskJob(job.task, program, opts?.soft ? { soft: true } : undefined)]);
        if (stop.signal.aborted) throw new Stopped();
        return r!;
      },
      analyze: (program) => analyze(program, options.analyzer ?? DEFAULT_ANALYZER),
    });

    const record = (job: Job, d: SampleDraft): GeneratedSample => ({
      task_id: job.task.id,
      experiment: job.experiment,
      model: recordedModel,
      ...(model.spec !== recordedModel ? { model_spec: model.spec } : {}),
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
        n: samplesOf(job.task, job.experiment),
      },
      error: d.error,
      created_at: new Date().toISOString(),
      ...(d.rounds ? { rounds: d.rounds } : {}),
      ...d.extra,
    });

    const runJob = async (job: Job): Promise<void> => {
      if (stopping()) return;
      let draft: SampleDraft;
      try {
        draft = await job.prepared.run(contextFor(job));
      } catch (e) {
        // An interruption or another request's fatal error: this sample is simply not done yet.
        if (e instanceof Stopped || stopping()) return;
        fatal ??= e;
        stop.abort();
        return;
      }
      writer.append(record(job, draft));
      progress.done++;
      if (draft.error) {
        progress.errors++;
        firstError ??= `${job.task.id} #${job.sampleIndex}: ${draft.error}`;
      }
      report();
    };

    try {
      // A failure outside the request (a full disk, a bug) stops the run like a fatal request
      // error, after the jobs in flight have settled, so the writer is never closed under them.
      const guarded = async (job: Job) => {
        try {
          await runJob(job);
        } catch (e) {
          fatal ??= e;
          stop.abort();
        }
      };
      await Promise.all(todo.map((job) => limiter.run(() => guarded(job))));
    } finally {
      writer.close();
      options.signal?.removeEventListener('abort', onAbort);
    }
    if (fatal) {
      const msg = fatal instanceof Error ? fatal.message : inspect(fatal);
      const kept = `${progress.alreadyDone + progress.done} sample(s) are in ${outFile}; fix the cause and run the same command to continue`;
      if (fatal instanceof ProviderError || fatal instanceof UserError) throw new UserError(`${msg} — ${kept}`);
      throw new Error(`${msg} — ${kept}`, { cause: fatal });
    }
    return {
      ...progress,
      elapsedMs: Math.round(performance.now() - started),
      interrupted: stopping(),
      firstError,
      outFile,
    };
  } finally {
    executor?.close();
    lock.release();
  }
}

