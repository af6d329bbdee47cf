import type { Dataset, Subset } from '../dataset/types.js';
import { DEFAULT_BOOTSTRAP, Resampler, type BootstrapOptions } from '../score/bootstrap.js';
import { compareRuns, defaultPairs, type Comparison } from '../score/compare.js';
import { DEFAULT_KS } from '../score/passk.js';
import { readResults, type ResultSet } from '../score/results.js';
import { scoreResults, type Scores } from '../score/scores.js';
import type { Validation, ValidationVerdict } from '../score/validation.js';
import { UserError } from '../util/errors.js';

export interface BuildReportOptions {
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
}

export interface BrokenTask {
  taskId: string;
  subset: Subset;
  verdict: ValidationVerdict;
  reason: string;
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
  /** Raw tallies, with samples when a drill-down was asked for. */
  results: ResultSet;
  /** Task order and metadata for the drill-down. */
  datasetRef: Dataset;
}

export async function buildReport(opts: BuildReportOptions): Promise<Report> {
  const ks = [...(opts.ks ?? DEFAULT_KS)].sort((a, b) => a - b);
  if (!ks.length) throw new UserError('--k needs at least one value');
  const cweK = opts.cweK ?? ks[0]!;
  if (!ks.includes(cweK)) throw new UserError(`--cwe-k ${cweK} is not one of --k ${ks.join(',')}`);
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

  const results = await readResults(opts.resultsFiles, opts.dataset, { keepSamples: opts.drilldown ?? 0 });
  const brokenIds = new Set(validation ? validation.broken.keys() : []);
  const resampler = new Resampler(bootstrap);
  const scores = scoreResults(results, opts.dataset, { ks, bootstrap, resampler, broken: brokenIds, excludeBroken });
  const comparisons = opts.compare
    ? defaultPairs(scores.runs).map(([a, b]) => compareRuns(a, b, ks, { resampler, permutations }))
    : [];
  const broken: BrokenTask[] = [];
  if (validation) {
    for (const t of opts.dataset.tasks) {
      const v = validation.broken.get(t.id);
      if (v) broken.push({ taskId: t.id, subset: t.subset, verdict: v.verdict, reason: v.reason });
    }
  }
  return {
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
    results,
    datasetRef: opts.dataset,
  };
}
