import { DEFAULT_ANALYZER, requireAnalyzer } from '../analyzers/registry.js';
import { UserError } from '../core/errors.js';
import type { Experiment } from '../core/experiments.js';
import type { BatchApi, ModelProvider, SamplingParams } from '../core/model.js';
import type { Task } from '../core/task.js';
import { type ExperimentStrategy, type PreparedExperiment, strategyFor } from '../experiments/index.js';
import { AdaptiveLimiter } from '../models/adaptive-limit.js';
import { createProvider, parseModelArg, samplingWarnings } from '../models/registry.js';
import { ReplayProvider } from '../models/replay.js';
import { batchApiOf } from './batch-setup.js';
import { GENERATION_DEFAULTS as DEFAULTS } from './options.js';
import { selectTasks } from './select.js';
import type { GenerateOptions } from './types.js';

/** Everything a generation needs that can be checked before any file is opened or request sent. */
export interface GenerationSetup {
  experiments: Experiment[];
  strategies: ExperimentStrategy[];
  prepared: PreparedExperiment[];
  /** The provider spec behind the --model value (its label aside). */
  modelSpec: string;
  provider: ModelProvider;
  /** Cut when the server pushes back, grown again as requests succeed; the provider tells it. */
  limiter: AdaptiveLimiter;
  replay: ReplayProvider | null;
  tasks: Task[];
  samplesOf: (t: Task, e: Experiment) => number;
  batchApi: BatchApi | null;
  analyzer: string;
  params: SamplingParams;
}

/**
 * Build the provider, choose the tasks, load every template and check it against every task,
 * check the analyzer: a problem with any of them costs nothing and touches no file.
 */
export async function prepareGeneration(options: GenerateOptions, notice: (m: string) => void): Promise<GenerationSetup> {
  const experiments: Experiment[] = options.experiments?.length ? options.experiments : ['direct-generation'];
  const strategies = experiments.map((e) => strategyFor(e));
  const model = parseModelArg(options.model);
  const limiter = new AdaptiveLimiter(options.concurrency ?? DEFAULTS.concurrency);
  const provider = await createProvider(
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

  const customServer = options.baseURL !== undefined || Boolean((options.env ?? process.env).OPENAI_BASE_URL);
  for (const w of samplingWarnings(options.model, { temperature: options.temperature, topP: options.topP, customServer })) notice(w);
  // An analyzer that cannot run here stops the run before any request, not at its first use.
  if (strategies.some((s) => s.needs.analyzer)) await requireAnalyzer(analyzer);

  const params: SamplingParams = { maxTokens: options.maxTokens ?? DEFAULTS.maxTokens };
  if (options.temperature !== undefined) params.temperature = options.temperature;
  if (options.topP !== undefined) params.topP = options.topP;
  if (options.seed !== undefined) params.seed = options.seed;
  return { experiments, strategies, prepared, modelSpec: model.spec, provider, limiter, replay, tasks, samplesOf, batchApi, analyzer, params };
}
