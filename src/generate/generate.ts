import { createHash } from 'node:crypto';
import path from 'node:path';
import pLimit from 'p-limit';
import type { Dataset, Subset, Task } from '../dataset/types.js';
import { createProvider } from '../models/create.js';
import type { CompletionResult, ModelProvider, Prompt, SamplingParams } from '../models/provider.js';
import { ProviderError, isTruncatedFinish } from '../models/provider.js';
import { ReplayProvider } from '../models/replay.js';
import { parseModelSpec } from '../models/spec.js';
import { loadTemplates } from '../prompts/load.js';
import { looksLikeCode, missingFields, renderPrompt, type Template } from '../prompts/template.js';
import { UserError } from '../util/errors.js';
import { cacheDir as defaultCacheRoot } from '../util/paths.js';
import { ResponseCache, cacheKey } from './cache.js';
import { type Experiment } from './experiments.js';
import { extractProgram } from './extract.js';
import { scanLines, topLevelSegments } from './python-text.js';
import { type GeneratedSample, SampleWriter, dropFailedLines, readExistingSamples, sampleKey } from './samples-file.js';
import { selectTasks } from './select.js';

export interface GenerateOptions {
  dataset: Dataset;
  /** A --model spec: openai:<m>, openai-completions:<m>, anthropic:<m>, reference:secure|insecure, replay:<file>. */
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
  /** Task IDs and CWE identifiers (CWE-79 = CWE-079). */
  tasks?: string[];
  subset?: Subset;
  /** Requests in flight. Default 4. */
  concurrency?: number;
  baseURL?: string;
  /** Retries the SDK makes on 408/409/429/5xx and timeouts, honouring Retry-After. Default 5. */
  maxRetries?: number;
  /** Per request attempt. Default 300 000 ms. */
  requestTimeoutMs?: number;
  /** Response cache folder; null turns the cache off. Default <cache dir>/responses. */
  cacheDir?: string | null;
  /** A template file (one experiment) or a folder of <experiment>.<style>.txt files. */
  promptTemplate?: string;
  /** Make again the samples whose request failed in an earlier run. */
  retryErrors?: boolean;
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
  template: Template;
  prompt: Prompt;
  promptHash: string;
  sampleIndex: number;
  params: SamplingParams;
}

const DEFAULTS = { n: 1, maxTokens: 2048, concurrency: 4, maxRetries: 5, requestTimeoutMs: 300_000 };

/** Stops for base models continuing a function: whatever follows the function is not needed. */
const COMPLETION_STOPS = ['\nif __name__', '\nprint(', '\nassert '];

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
  checkNumber('--request-timeout', o.requestTimeoutMs, (x) => x > 0, 'positive');
}

function hashPrompt(prompt: Prompt): string {
  return createHash('sha256').update(JSON.stringify(prompt)).digest('hex').slice(0, 16);
}

/** True when a completion prompt ends inside the entry point's definition (a SecEvalBase Problem). */
function endsInsideEntry(text: string, entryPoint: string): boolean {
  const segs = topLevelSegments(scanLines(text));
  const last = segs[segs.length - 1];
  return last?.kind === 'def' && last.name === entryPoint;
}

function refuseMissingFields(templates: Map<Experiment, Template>, tasks: Task[]): void {
  for (const [exp, template] of templates) {
    const lacking = tasks.map((t) => ({ t, missing: missingFields(template, t) })).filter((x) => x.missing.length);
    if (lacking.length) {
      const first = lacking[0]!;
      const more = lacking.length > 1 ? ` (and ${lacking.length - 1} more tasks)` : '';
      throw new UserError(
        `experiment ${exp} (template ${template.name}) needs ${first.missing.join(', ')}, which task ${first.t.id} lacks${more}; choose other tasks or experiments`,
      );
    }
  }
}

/**
 * Make model samples for the chosen tasks and experiments and append them to `outFile`.
 * Samples already in the file are skipped, answers already in the response cache are not
 * asked for again, and a run stopped at any moment is finished by running it again.
 */
export async function generateSamples(options: GenerateOptions): Promise<GenerateSummary> {
  validate(options);
  const started = performance.now();
  const experiments: Experiment[] = options.experiments?.length ? options.experiments : ['direct-generation'];
  const maxRetries = options.maxRetries ?? DEFAULTS.maxRetries;
  const timeoutMs = options.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs;
  const provider: ModelProvider = await createProvider(
    options.model,
    { baseURL: options.baseURL, maxRetries, timeoutMs, env: options.env },
    options.dataset,
  );

  let tasks = selectTasks(options.dataset, options.tasks, options.subset);
  const replay = provider instanceof ReplayProvider ? provider : null;
  if (replay && options.n === undefined) {
    tasks = replay.covered(tasks);
    if (!tasks.length) throw new UserError(`--model ${options.model}: the file has no sample for the selected tasks`);
  }
  const samplesOf = (t: Task) => (replay && options.n === undefined ? replay.samplesFor(t.id) : (options.n ?? DEFAULTS.n));
  provider.checkTasks?.(tasks);

  const templateStyle = provider.style === 'completion' ? 'completion' : 'chat';
  const templates = loadTemplates(experiments, templateStyle, options.promptTemplate);
  refuseMissingFields(templates, tasks);

  const notice = options.onNotice ?? (() => {});
  warnAboutSampling(options, notice);
  const outFile = options.outFile;
  let existing = readExistingSamples(outFile);
  if (existing.droppedPartialLine) notice(`${outFile}: removed a partly written last line (an interrupted run); its sample is made again`);

  const baseParams: SamplingParams = { maxTokens: options.maxTokens ?? DEFAULTS.maxTokens };
  if (options.temperature !== undefined) baseParams.temperature = options.temperature;
  if (options.topP !== undefined) baseParams.topP = options.topP;
  if (options.seed !== undefined) baseParams.seed = options.seed;

  // Render every prompt before the first request, so a template problem costs nothing.
  const jobs: Job[] = [];
  const planned = new Set<string>();
  for (const experiment of experiments) {
    const template = templates.get(experiment)!;
    for (const task of tasks) {
      const prompt = renderPrompt(template, task);
      const params: SamplingParams = { ...baseParams };
      if (prompt.style === 'completion' && endsInsideEntry(prompt.text, task.entryPoint)) params.stop = COMPLETION_STOPS;
      const promptHash = hashPrompt(prompt);
      for (let i = 0; i < samplesOf(task); i++) {
        planned.add(sampleKey(task.id, experiment, provider.spec, i));
        jobs.push({ task, experiment, template, prompt, promptHash, sampleIndex: i, params });
      }
    }
  }

  if (options.retryErrors) {
    const dropped = dropFailedLines(outFile, (key) => planned.has(key));
    if (dropped) {
      notice(`${outFile}: removed ${dropped} failed sample(s) to make them again`);
      existing = readExistingSamples(outFile);
    }
  }
  const todo = jobs.filter((j) => !existing.done.has(sampleKey(j.task.id, j.experiment, provider.spec, j.sampleIndex)));

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

  const stop = new AbortController();
  const inFlight = new Set<AbortController>();
  stop.signal.addEventListener('abort', () => {
    for (const r of inFlight) r.abort();
  });
  const onAbort = () => stop.abort();
  if (options.signal?.aborted) stop.abort();
  options.signal?.addEventListener('abort', onAbort);
  let fatal: unknown = null;
  let firstError: string | null = null;
  const writer = new SampleWriter(outFile);
  const limit = pLimit(options.concurrency ?? DEFAULTS.concurrency);

  const runJob = async (job: Job): Promise<void> => {
    if (stop.signal.aborted) return;
    const key = provider.cacheIdentity
      ? cacheKey({ ...provider.cacheIdentity, prompt: job.prompt, params: job.params, sampleIndex: job.sampleIndex })
      : null;
    let result: CompletionResult | null = null;
    let cached = false;
    let error: string | null = null;
    const hit = cache && key ? cache.get(key) : null;
    if (hit) {
      result = { text: hit.text, usage: hit.usage, latencyMs: hit.latencyMs, finishReason: hit.finishReason };
      cached = true;
    } else {
      if (provider.cacheIdentity) progress.requests++;
      // One signal per request: the SDKs leave their abort listener on the signal they are
      // given after the request ends, and thousands of requests would pile up on a shared one.
      const request = new AbortController();
      inFlight.add(request);
      try {
        result = await provider.complete({
          prompt: job.prompt,
          task: job.task,
          sampleIndex: job.sampleIndex,
          params: job.params,
          signal: request.signal,
        });
      } catch (e) {
        // An interruption or another request's fatal error: this sample is simply not done yet.
        if (stop.signal.aborted) return;
        if (e instanceof ProviderError && !e.fatal) {
          error = e.message;
        } else {
          fatal ??= e;
          stop.abort();
          return;
        }
      } finally {
        inFlight.delete(request);
      }
      if (result && cache && key) {
        cache.put(key, {
          text: result.text,
          usage: result.usage,
          latencyMs: result.latencyMs,
          finishReason: result.finishReason,
          createdAt: new Date().toISOString(),
        });
      }
    }
    const extraction = result ? toProgram(result, job, provider.style) : { solution: '', method: 'none' };
    const sample: GeneratedSample = {
      task_id: job.task.id,
      experiment: job.experiment,
      model: provider.spec,
      sample_index: job.sampleIndex,
      prompt_hash: job.promptHash,
      prompt: job.prompt,
      template: job.template.name,
      raw: result?.text ?? '',
      solution: extraction.solution,
      extraction: extraction.method,
      finish_reason: result?.finishReason ?? null,
      usage: result?.usage ?? null,
      latency_ms: result?.latencyMs ?? 0,
      cached,
      params: {
        temperature: job.params.temperature ?? null,
        top_p: job.params.topP ?? null,
        max_tokens: job.params.maxTokens,
        seed: job.params.seed ?? null,
        stop: job.params.stop ?? null,
      },
      error,
      created_at: new Date().toISOString(),
    };
    writer.write(sample);
    progress.done++;
    if (cached) progress.cached++;
    if (error) {
      progress.errors++;
      firstError ??= `${job.task.id} #${job.sampleIndex}: ${error}`;
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
    await Promise.all(todo.map((job) => limit(guarded, job)));
  } finally {
    writer.close();
    options.signal?.removeEventListener('abort', onAbort);
  }
  if (fatal) {
    const msg = fatal instanceof Error ? fatal.message : String(fatal);
    const kept = `${progress.alreadyDone + progress.done} sample(s) are in ${outFile}; fix the cause and run the same command to continue`;
    if (fatal instanceof ProviderError || fatal instanceof UserError) throw new UserError(`${msg} — ${kept}`);
    throw new Error(`${msg} — ${kept}`, { cause: fatal });
  }
  return {
    ...progress,
    elapsedMs: Math.round(performance.now() - started),
    interrupted: stop.signal.aborted,
    firstError,
    outFile,
  };
}

/**
 * Settings some APIs refuse with a 400 on every request. They are sent anyway (older models
 * accept them), but a line now saves a file full of failed samples later.
 */
function warnAboutSampling(o: GenerateOptions, notice: (m: string) => void): void {
  const spec = parseModelSpec(o.model);
  if (spec.kind === 'anthropic' && (o.temperature !== undefined || o.topP !== undefined)) {
    notice(
      'the Messages API deprecated temperature and top_p: recent Claude models refuse them (and older ones refuse both together); leave them out if requests fail with 400',
    );
  }
  const vendorOpenAI = o.baseURL === undefined && !(o.env ?? process.env).OPENAI_BASE_URL;
  if (spec.kind === 'openai' && vendorOpenAI && /^(o\d|gpt-5)/.test(spec.model) && (o.temperature !== undefined || o.topP !== undefined)) {
    notice(`${spec.model} looks like a reasoning model: those refuse non-default temperature and top_p`);
  }
}

function toProgram(result: CompletionResult, job: Job, style: ModelProvider['style']): { solution: string; method: string } {
  if (result.program) return result.program;
  if (style === 'program') return { solution: result.text, method: 'verbatim' };
  const problem = job.experiment === 'vuln-aware-generation' ? (job.task.vulnAwareProblem ?? job.task.problem) : job.task.problem;
  const { solution, method } = extractProgram(result.text, {
    entryPoint: job.task.entryPoint,
    style: style === 'completion' ? 'completion' : 'chat',
    prompt: job.prompt.style === 'completion' ? job.prompt.text : undefined,
    context: looksLikeCode(problem, job.task.entryPoint) ? problem : null,
    truncated: isTruncatedFinish(result.finishReason),
  });
  return { solution, method };
}
