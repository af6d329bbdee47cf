import { DEFAULT_BOOTSTRAP, Resampler, type BootstrapOptions } from '../score/bootstrap.js';
import { compareRuns, defaultPairs, type Comparison } from '../score/compare.js';
import { scoreSplit, type RunSplit } from '../score/functional.js';
import { scoreCases, type RunCaseScores } from '../score/cases.js';
import { canSplit } from '../score/labels.js';
import { DEFAULT_KS } from '../score/passk.js';
import { readResults } from './results-file.js';
import { type ResultSet } from '../score/tally.js';
import { scoreResults, type Scores } from '../score/scores.js';
import type { Validation } from '../score/validation.js';
import { UserError } from '../core/errors.js';
import { familyOf } from '../core/experiments.js';
import { scoreRounds, type RunRounds } from '../score/rounds.js';
import { readRounds } from './rounds-file.js';
import { summarizeAnalysis } from '../analyze/summary.js';
import type { StaticAnalysisSummary } from '../score/static-agreement.js';
import type { Dataset, Subset } from '../core/task.js';
import type { ValidationVerdict } from '../core/validation.js';
import { deliverySummary, type ModelDelivery } from './delivery.js';
import { countSamples, missingResults, type MissingResults } from './completeness.js';
import { environmentSummary, type EnvironmentFailures, type EnvironmentWarning, type ReportEnvironment } from './environment.js';

export interface BuildReportOptions {
  /** From `codeseceval analyze`: adds the "Static analysis vs tests" section. */
  analysisFile?: string | null;
  resultsFiles: readonly string[];
  dataset: Dataset;
  /** From `dataset validate --json`; without it no task is marked broken. */
  validation?: Validation | null;
  excludeBroken?: boolean;
  ks?: readonly number[];
  bootstrap?: Partial<BootstrapOptions>;
  /** Add paired comparisons (see `defaultPairs`). */
  compare?: boolean;
  permutations?: number;
  /** The k of the per-CWE tables and charts; defaults to the smallest k. */
  cweK?: number;
  /** Samples per task and run kept for the HTML drill-down (0: none, Infinity: all). */
  drilldown?: number;
  /** The samples files the results were made from: a report with fewer results says it is partial. */
  samplesFiles?: readonly string[];
}

export interface BrokenTask {
  taskId: string;
  subset: Subset;
  verdict: ValidationVerdict;
  reason: string;
}

/** func@k, func-sec@k and vulnerable rates: only when results carry soft outcomes and labels are given. */
export interface ReportSplit {
  /** Runs with judged samples, in the order of `scores.runs`. */
  runs: RunSplit[];
  /** Dataset tasks the validation file labels. */
  labelledTasks: number;
  /** Of those, tasks with a functional and a security check. */
  splittableTasks: number;
}

/** Everything any output format needs. */
export interface Report {
  dataset: { source: string; kind: Dataset['kind']; tasks: number };
  inputs: string[];
  ks: number[];
  cweK: number;
  validationFile: string | null;
  excludeBroken: boolean;
  /** Every broken task of the dataset per the validation file, in dataset order. */
  broken: BrokenTask[];
  bootstrap: BootstrapOptions;
  permutations: number;
  scores: Scores;
  comparisons: Comparison[];
  split: ReportSplit | null;
  /** Test-case scores of test-file benchmarks (SALLM, CWEval), one per run in `scores.runs` order; null when no run has any. */
  caseScores: ({ model: string; experiment: string } & RunCaseScores)[] | null;
  /** The "Static analysis vs tests" section; null without --analysis. */
  staticAnalysis: StaticAnalysisSummary | null;
  /** Per-round scores of the feedback-repair runs; null when there is none. */
  rounds: RunRounds[] | null;
  /** Why there is no split although half of what it needs is there; null otherwise. */
  splitNote: string | null;
  /** Each input's environment records (`<results>.env.json`); see src/report/environment.ts. */
  environments: ReportEnvironment[];
  /** Inputs (or parts of one) produced under different records, naming the fields. */
  environmentWarnings: EnvironmentWarning[];
  /** Samples that failed for want of a module or of the network. */
  environmentFailures: EnvironmentFailures;
  /** Raw tallies, with samples when a drill-down was asked for. */
  results: ResultSet;
  /** Task order and metadata for the drill-down. */
  datasetRef: Dataset;
  /** Model × experiment pairs with fewer results than samples (empty when complete or not checked). */
  missing: MissingResults[];
  /** Whether the samples files were there to check completeness against. */
  completenessChecked: boolean;
  /** Per model, the results made through a batch API (at batch prices); empty when none was. */
  delivery: ModelDelivery[];
}

export async function buildReport(opts: BuildReportOptions): Promise<Report> {
  const bootstrap: BootstrapOptions = { ...DEFAULT_BOOTSTRAP, ...opts.bootstrap };
  if (!Number.isInteger(bootstrap.resamples) || bootstrap.resamples < 1) {
    throw new UserError(`bootstrap resamples must be a positive integer, got ${bootstrap.resamples}`);
  }
  if (!(bootstrap.confidence > 0 && bootstrap.confidence < 1)) {
    throw new UserError(`confidence must be between 0 and 1, got ${bootstrap.confidence}`);
  }
  const permutations = opts.permutations ?? 2000;
  if (!Number.isInteger(permutations) || permutations < 1) {
    throw new UserError(`permutations must be a positive integer, got ${permutations}`);
  }
  const validation = opts.validation ?? null;
  const excludeBroken = opts.excludeBroken ?? false;
  if (excludeBroken && !validation) throw new UserError('--exclude-broken needs --validation FILE');

  const labels = validation?.labels ?? null;
  const results = await readResults(opts.resultsFiles, opts.dataset, { keepSamples: opts.drilldown ?? 0, labels });
  // The default k list stops at the smallest n present: pass@10 of 2 samples is not a number.
  const ks = [...(opts.ks ?? defaultKs(results))].sort((a, b) => a - b);
  if (!ks.length) throw new UserError('--k needs at least one value');
  const cweK = opts.cweK ?? ks[0]!;
  if (!ks.includes(cweK)) throw new UserError(`--cwe-k ${cweK} is not one of --k ${ks.join(',')}`);
  const brokenIds = new Set(validation ? validation.broken.keys() : []);
  const resampler = new Resampler(bootstrap);
  const sampleCounts = opts.samplesFiles?.length ? await countSamples(opts.samplesFiles) : null;
  const modelOrder = [...new Set([...(sampleCounts?.values() ?? [])].map((c) => c.model))];
  const scores = scoreResults(results, opts.dataset, { ks, bootstrap, resampler, broken: brokenIds, excludeBroken, modelOrder });
  const comparisons = opts.compare
    ? defaultPairs(scores.runs).map(([a, b]) => compareRuns(a, b, ks, { resampler, permutations }))
    : [];
  let split: ReportSplit | null = null;
  let splitNote: string | null = null;
  const soft = results.runs.some((r) => r.softSamples > 0);
  if (soft && labels) {
    const raw = new Map(results.runs.map((r) => [`${r.model}\u0000${r.experiment}`, r]));
    const runs = scores.runs.flatMap((r) => {
      const s = scoreSplit(raw.get(`${r.model}\u0000${r.experiment}`)!, r, labels, scores.groups, ks, resampler);
      return s ? [s] : [];
    });
    const labelled = opts.dataset.tasks.flatMap((t) => (labels.has(t.id) ? [labels.get(t.id)!] : []));
    split = { runs, labelledTasks: labelled.length, splittableTasks: labelled.filter(canSplit).length };
  } else if (soft) {
    splitNote =
      'Results carry soft-assert outcomes, but no validation file with assert labels was given: make one with `codeseceval dataset validate --labels --out FILE` and pass --validation FILE to split functional from security failures.';
  } else if (labels) {
    splitNote = 'The validation file labels asserts, but no result carries a soft-assert outcome: evaluate with --soft to split functional from security failures.';
  }
  // Only feedback runs have rounds: other reports never read the files a second time.
  let rounds: RunRounds[] | null = null;
  if (scores.runs.some((r) => familyOf(r.experiment) === 'feedback')) {
    const inputs = await readRounds(opts.resultsFiles, opts.dataset);
    rounds = scoreRounds(inputs, opts.dataset, scores.groups, { ks, resampler, permutations, broken: brokenIds, excludeBroken, labels });
    const order = new Map(scores.runs.map((r, i) => [`${r.model}\u0000${r.experiment}`, i]));
    rounds.sort((a, b) => (order.get(`${a.model}\u0000${a.experiment}`) ?? 0) - (order.get(`${b.model}\u0000${b.experiment}`) ?? 0));
  }
  const broken: BrokenTask[] = [];
  if (validation) {
    for (const t of opts.dataset.tasks) {
      const v = validation.broken.get(t.id);
      if (v) broken.push({ taskId: t.id, subset: t.subset, verdict: v.verdict, reason: v.reason });
    }
  }
  const rawRuns = new Map(results.runs.map((r) => [`${r.model}\u0000${r.experiment}`, r]));
  const caseRuns = scores.runs.flatMap((r) => {
    const c = scoreCases(rawRuns.get(`${r.model}\u0000${r.experiment}`)!.tasks, r.tasks, scores.groups, ks, resampler);
    return c ? [{ model: r.model, experiment: r.experiment, ...c }] : [];
  });
  const env = environmentSummary(opts.resultsFiles, results.environmentFailures);
  return {
    ...env,
    dataset: { source: opts.dataset.source, kind: opts.dataset.kind, tasks: opts.dataset.tasks.length },
    inputs: [...opts.resultsFiles],
    ks,
    cweK,
    validationFile: validation?.file ?? null,
    excludeBroken,
    broken,
    bootstrap,
    permutations,
    scores,
    comparisons,
    split,
    caseScores: caseRuns.length ? caseRuns : null,
    splitNote,
    rounds,
    staticAnalysis: opts.analysisFile
      ? await summarizeAnalysis({ analysisFile: opts.analysisFile, resultsFiles: opts.resultsFiles, dataset: opts.dataset, labels })
      : null,
    results,
    datasetRef: opts.dataset,
    missing: sampleCounts ? missingResults(sampleCounts, results) : [],
    completenessChecked: sampleCounts !== null,
    delivery: await deliverySummary(opts.resultsFiles),
  };
}

/** DEFAULT_KS up to the smallest number of samples any task of any run has (at least k = 1). */
export function defaultKs(results: ResultSet): number[] {
  let minN = Infinity;
  for (const run of results.runs) for (const t of run.tasks.values()) minN = Math.min(minN, t.n);
  const ks = DEFAULT_KS.filter((k) => k <= minN);
  return ks.length ? ks : [1];
}
