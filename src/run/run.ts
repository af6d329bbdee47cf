import { existsSync, rmdirSync } from 'node:fs';
import path from 'node:path';
import { analyzeRun } from '../analyze/analyze.js';
import { evaluateSamples, type EvaluateProgress, type EvaluateSummary } from '../evaluate/evaluate.js';
import { evaluateOnSlurm, type SlurmProgress, type SlurmSettings } from '../cluster/evaluate-slurm.js';
import { validateDataset } from '../evaluate/validate.js';
import { generateSamples, type GenerateOptions, type GenerateProgress, type GenerateSummary } from '../generate/generate.js';
import { selectTasks } from '../generate/select.js';
import { headlineText } from '../report/headline.js';
import { buildReport, reportChunks, type Report } from '../report/index.js';
import { writeFileAtomic } from '../io/write.js';
import { DEFAULT_KS } from '../score/passk.js';
import { loadValidation, type Validation } from '../score/validation.js';
import type { EngineOptions } from '../sandbox/engine.js';
import { InterruptedError, UserError } from '../core/errors.js';
import { acquireLock } from '../io/lock.js';
import { checkOutputFolder } from '../io/paths.js';
import { createProvider, defaultExperiments, parseModelArg } from '../models/registry.js';
import { type Experiment, PAPER_EXPERIMENTS } from '../core/experiments.js';
import type { Dataset } from '../core/task.js';
import { shardFile, type Shard } from '../core/shard.js';

/** Sampling and request settings passed through to `generateSamples` for every model. */
export type RunGenerateOptions = Omit<
  GenerateOptions,
  'dataset' | 'model' | 'outFile' | 'experiments' | 'signal' | 'onProgress' | 'onNotice'
>;

export interface RunOptions {
  dataset: Dataset;
  /** One or more --model specs; their samples share one samples file and one report. */
  models: string[];
  outDir: string;
  /** Default: all four. */
  experiments?: Experiment[];
  generate?: RunGenerateOptions;
  engine?: EngineOptions & { timeout?: number | 'auto' };
  /** Default: the standard k values up to the number of samples per task. */
  ks?: number[];
  excludeBroken?: boolean;
  /**
   * Also separate wrong from insecure (func@k, func-sec@k, vulnerable rate): soft-assert runs
   * of every sample and assert labels from the references. Doubles the evaluation work.
   */
  split?: boolean;
  /** Also run the static analyzer (`generate.analyzer`, default bandit) on every sample and both references: analysis.jsonl and the report's "Static analysis vs tests". */
  analyze?: boolean;
  /** Evaluate as a Slurm job array instead of on this machine (`run --slurm N`). */
  slurm?: SlurmSettings;
  signal?: AbortSignal;
  on?: {
    slurm?: (p: SlurmProgress) => void;
    stage?: (stage: RunStage, message: string) => void;
    generate?: (model: string, p: GenerateProgress) => void;
    evaluate?: (p: EvaluateProgress) => void;
    validate?: (done: number, total: number) => void;
    analyze?: (done: number, total: number) => void;
    notice?: (message: string) => void;
  };
}

export type RunStage = 'generate' | 'evaluate' | 'validate' | 'analyze' | 'report';

export interface RunFiles {
  samples: string;
  results: string;
  validation: string;
  analysis: string;
  md: string;
  html: string;
  json: string;
}

export interface RunSummary {
  files: RunFiles;
  generated: GenerateSummary[];
  /** Null when generation was interrupted and nothing later ran. */
  evaluated: EvaluateSummary | null;
  /** The validation file was already in the folder and covered the tasks. */
  validationReused: boolean;
  report: Report | null;
  /** Overall pass@k table for the terminal. */
  headline: string;
  interrupted: boolean;
  /** Batches left with the provider (--batch-detach): the run stops after generation until they are collected. */
  batchesInFlight: string[];
  /** Samples whose model request failed for good (recorded, and scored as failures). */
  generationErrors: number;
  /** `run --shard`: this shard's samples and results files (no validation or report: `merge` the shards first). */
  shard: { shard: Shard; samples: string; results: string } | null;
}

export function runFiles(outDir: string): RunFiles {
  const f = (name: string) => path.join(outDir, name);
  return {
    samples: f('samples.jsonl'),
    results: f('results.jsonl'),
    validation: f('validation.json'),
    analysis: f('analysis.jsonl'),
    md: f('report.md'),
    html: f('report.html'),
    json: f('report.json'),
  };
}

/** The default run folder: stable for the same models, so running the same command again resumes. */
export function defaultRunDir(models: readonly string[]): string {
  const slug = models
    .map((m) => parseModelArg(m).name)
    .map((m) => m.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, ''))
    .join('+')
    .slice(0, 120);
  return path.join('runs', slug || 'run');
}

/**
 * Report columns for a run: the standard k values this many samples can support. Choosing
 * columns is not clamping: pass@k is still never estimated from fewer than k samples.
 */
export function ksFor(n: number): number[] {
  const ks = DEFAULT_KS.filter((k) => k <= n);
  return ks.length ? ks : [1];
}

/**
 * generate → evaluate → dataset validate → report, into one folder. Every stage resumes:
 * generate skips samples already in samples.jsonl, evaluate keeps the valid prefix of
 * results.jsonl, and a validation.json that already covers the tasks is reused.
 */
export async function runPipeline(opts: RunOptions): Promise<RunSummary> {
  if (!opts.models.length) throw new UserError('run needs at least one --model');
  // Every model is parsed and built (keys, URLs, replay files) before the folder is made, so
  // a typo leaves nothing behind.
  for (const model of opts.models) {
    const provider = await createProvider(model, { timeoutMs: 1_000, ...(opts.generate?.env ? { env: opts.generate.env } : {}) }, opts.dataset);
    if ((opts.generate?.batch || opts.generate?.batchDetach) && !provider.batchApi) {
      throw new UserError(`--batch: ${model} has no batch API; openai:, openai-completions: and anthropic: models have one`);
    }
  }
  selectTasks(opts.dataset, opts.generate?.tasks, opts.generate?.subset);
  const files = runFiles(opts.outDir);
  const existed = existsSync(opts.outDir);
  checkOutputFolder(opts.outDir, { flag: '--out', create: true });
  // One run per folder (or per shard of it) at a time; generate and evaluate lock their own files as well.
  const shard = opts.generate?.shard;
  const lock = acquireLock(shard ? shardFile(path.join(opts.outDir, 'run'), shard) : path.join(opts.outDir, 'run'), { command: 'codeseceval run' });
  let failed = false;
  try {
    return await runLocked(opts, files);
  } catch (e) {
    if (e instanceof InterruptedError) return { ...emptySummary(files), interrupted: true };
    failed = true;
    throw e;
  } finally {
    lock.release();
    // A run refused before it wrote anything leaves no folder behind (rmdir removes only an empty one).
    if (failed && !existed) rmEmptyFolder(opts.outDir);
  }
}

function rmEmptyFolder(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // Not empty (something was written) or already gone: either way there is nothing to undo.
  }
}

function emptySummary(files: RunFiles): RunSummary {
  return {
    files,
    generated: [],
    evaluated: null,
    validationReused: false,
    report: null,
    headline: '',
    interrupted: false,
    batchesInFlight: [],
    generationErrors: 0,
    shard: null,
  };
}

async function runLocked(opts: RunOptions, files: RunFiles): Promise<RunSummary> {
  const stage = opts.on?.stage ?? (() => {});
  const summary = emptySummary(files);

  // With --batch and several models, every model's batches are submitted first (a pass that
  // does not wait), so they run at the provider side by side instead of one after another.
  const batch = Boolean(opts.generate?.batch || opts.generate?.batchDetach);
  const submitFirst = batch && !opts.generate?.batchDetach && opts.models.length > 1;
  for (const pass of submitFirst ? (['submit', 'collect'] as const) : (['generate'] as const)) {
    for (const model of opts.models) {
      const g = await generateModel(opts, files, model, pass);
      summary.generated.push(g);
      summary.generationErrors += g.errors;
      if (g.interrupted || opts.signal?.aborted) {
        summary.interrupted = true;
        return summary;
      }
      // Detached batches: nothing is evaluated until the same command has collected them.
      if (pass !== 'submit' && g.batch?.inFlight.length) summary.batchesInFlight.push(...g.batch.inFlight);
    }
  }
  if (summary.batchesInFlight.length) return summary;

  const engine = opts.engine ?? {};
  const shard = opts.generate?.shard;
  // A shard evaluates the samples its own generate made (the same key picks both).
  const samplesFile = shard ? shardFile(files.samples, shard) : files.samples;
  stage('evaluate', `evaluating ${samplesFile} → ${shard ? shardFile(files.results, shard) : files.results}${opts.slurm ? ` as a Slurm job array of ${opts.slurm.shards}` : ''}`);
  summary.evaluated = opts.slurm
    ? await evaluateOnSlurm({
        samplesFile,
        outFile: files.results,
        dataset: opts.dataset,
        soft: opts.split ?? false,
        slurm: opts.slurm,
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(opts.on?.slurm ? { onProgress: opts.on.slurm } : {}),
        ...(opts.on?.notice ? { onNotice: opts.on.notice } : {}),
      })
    : await evaluateSamples({
    ...engine,
    samplesFile,
    outFile: files.results,
    dataset: opts.dataset,
    soft: opts.split ?? false,
    ...(shard ? { shard } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.on?.evaluate ? { onProgress: opts.on.evaluate } : {}),
  });
  if (summary.evaluated.interrupted) {
    summary.interrupted = true;
    return summary;
  }
  if (shard) {
    // Validation and the report need every shard: they follow `merge`.
    summary.shard = { shard, samples: samplesFile, results: summary.evaluated.outFile };
    return summary;
  }

  const tasks = selectTasks(opts.dataset, opts.generate?.tasks, opts.generate?.subset);
  let validation = reusableValidation(files.validation, opts.dataset, tasks.map((t) => t.id), opts.split ?? false);
  summary.validationReused = validation !== null;
  if (!validation) {
    stage('validate', `checking the dataset's own Secure and Insecure Code on ${tasks.length} tasks → ${files.validation}`);
    const data = await validateDataset(opts.dataset, {
      ...engine,
      tasks,
      labels: opts.split ?? false,
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.on?.validate ? { onProgress: opts.on.validate } : {}),
    });
    await writeFileAtomic(files.validation, `${JSON.stringify(data, null, 1)}\n`);
    validation = loadValidation(files.validation, opts.dataset);
  } else {
    stage('validate', `reusing ${files.validation}`);
  }

  if (opts.analyze) {
    stage('analyze', `static analysis (${opts.generate?.analyzer ?? 'bandit'}) of every sample and both references → ${files.analysis}`);
    await analyzeRun({
      resultsFiles: [files.results],
      out: files.analysis,
      dataset: opts.dataset,
      ...(opts.generate?.analyzer ? { analyzer: opts.generate.analyzer } : {}),
      ...(opts.on?.analyze ? { onProgress: opts.on.analyze } : {}),
    });
  }

  const ks = opts.ks ?? ksFor(opts.generate?.n ?? 1);
  stage('report', `writing ${files.md}, ${files.html}, ${files.json}`);
  // One scoring pass (keeping samples for the HTML drill-down) serves all three formats.
  const report = await buildReport({
    resultsFiles: [files.results],
    // The samples file gives the models' order (as given to run) and checks completeness.
    samplesFiles: [files.samples],
    dataset: opts.dataset,
    validation,
    excludeBroken: opts.excludeBroken ?? false,
    ks,
    compare: true,
    drilldown: Infinity,
    analysisFile: opts.analyze ? files.analysis : null,
  });
  for (const format of ['md', 'json', 'html'] as const) await writeFileAtomic(files[format], await reportChunks(report, format));
  summary.report = report;
  summary.headline = headlineText(report);
  return summary;
}

/** One model's generation; `submit` only submits its batches (it waits for none). */
function generateModel(opts: RunOptions, files: RunFiles, model: string, pass: 'generate' | 'submit' | 'collect'): Promise<GenerateSummary> {
  const experiments = opts.experiments?.length ? opts.experiments : defaultExperiments(model, PAPER_EXPERIMENTS);
  opts.on?.stage?.('generate', `${pass === 'submit' ? 'submitting the batches of' : 'generating'} ${model}: ${experiments.join(', ')} → ${files.samples}`);
  return generateSamples({
    ...opts.generate,
    ...(pass === 'submit' ? { batchDetach: true } : {}),
    dataset: opts.dataset,
    model,
    outFile: files.samples,
    experiments,
    // Feedback-repair experiments run each round's program while generating: in the same
    // sandbox as evaluate, and with --split also in soft-assert mode (per-round func/sec split).
    engine: opts.generate?.engine ?? opts.engine ?? {},
    soft: opts.split ?? false,
    ...(opts.signal ? { signal: opts.signal } : {}),
    onProgress: (p) => opts.on?.generate?.(model, p),
    ...(opts.on?.notice ? { onNotice: opts.on.notice } : {}),
  });
}

/** A validation file left by an earlier run, if it is well-formed and covers every task. */
function reusableValidation(file: string, dataset: Dataset, taskIds: string[], needLabels: boolean): Validation | null {
  if (!existsSync(file)) return null;
  let v: Validation;
  try {
    v = loadValidation(file, dataset);
  } catch {
    // A torn or foreign file is made again rather than trusted.
    return null;
  }
  if (needLabels && v.data.records.some((r) => r.assert_labels === undefined)) return null;
  const covered = new Set(v.data.records.map((r) => r.task_id));
  return taskIds.every((id) => covered.has(id)) ? v : null;
}
