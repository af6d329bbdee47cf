import type { Interval, PairedColumn } from '../score/bootstrap.js';
import type { RunSplit, SplitGroup } from '../score/functional.js';
import type { GroupComparison, RoundScore, RoundSplitGroup } from '../score/rounds.js';
import type { GroupScore } from '../score/scores.js';
import type { Report } from './build.js';
import type { CaseGroup, RunCaseScores } from '../score/cases.js';
import { staticAnalysisJson, type JsonStaticAnalysis } from './static-analysis.js';
import { environmentJson } from './environment.js';
import type { Status } from '../core/status.js';

/** Per-k values are keyed by k as a string ("1", "10"): JSON objects have string keys. */
export type PerK<T> = Record<string, T>;

export interface JsonGroup {
  group: string;
  tasks: number;
  broken_tasks: number;
  min_samples: number | null;
  pass_at_k: PerK<number | null>;
  ci: PerK<Interval | null>;
}

export interface JsonTask {
  task_id: string;
  subset: string;
  cwe: string | null;
  broken: boolean;
  counted: boolean;
  n: number;
  c: number;
  pass_at_k: PerK<number | null>;
}

/** func@k, func-sec@k (pass_at_k's shape) and the vulnerable rate of one group. */
export interface JsonSplitGroup {
  group: string;
  /** Counted tasks with a functional and a security check and judged samples. */
  tasks: number;
  func_at_k: PerK<number | null>;
  func_ci: PerK<Interval | null>;
  func_sec_at_k: PerK<number | null>;
  func_sec_ci: PerK<Interval | null>;
  functional_samples: number;
  vulnerable_samples: number;
  vulnerable_rate: number | null;
  vulnerable_ci: Interval | null;
}

export interface JsonTaskSplit {
  task_id: string;
  /** Has a functional and a security check, so it enters the group scores. */
  can_split: boolean;
  /** Every assert is functional or security: func-sec@k equals pass@k here. */
  all_labelled: boolean;
  counted: boolean;
  n: number;
  functional: number;
  functional_secure: number;
  vulnerable: number;
  func_at_k: PerK<number | null>;
  func_sec_at_k: PerK<number | null>;
}

export interface JsonRunSplit {
  judged_samples: number;
  subsets: JsonSplitGroup[];
  cwes: JsonSplitGroup[];
  tasks: JsonTaskSplit[];
}

/** The per-round fields of a group: pass_at_k's shape, without the broken-task counts. */
export type JsonRoundGroup = Pick<JsonGroup, 'group' | 'tasks' | 'pass_at_k' | 'ci'>;

/** func@k and func-sec@k of a group after one round, in JsonSplitGroup's shape. */
export type JsonRoundSplit = Pick<JsonSplitGroup, 'group' | 'tasks' | 'func_at_k' | 'func_ci' | 'func_sec_at_k' | 'func_sec_ci'>;

export interface JsonRound {
  round: number;
  asked: number;
  stopped: number;
  input_tokens: number;
  output_tokens: number;
  subsets: JsonRoundGroup[];
  cwes: JsonRoundGroup[];
  /** func@k and func-sec@k, when every round had a soft run and labels were given. */
  split: { subsets: JsonRoundSplit[]; cwes: JsonRoundSplit[] } | null;
}

export interface JsonRoundComparison {
  group: string;
  tasks: number;
  k: PerK<{ round_0: number; final: number; diff: number; ci: Interval; p_value: number; better: number; worse: number; ties: number } | null>;
}

/** What a feedback run adds to its JSON entry: `oracle`, `rounds` and `round_comparison`. */
export interface JsonRunRounds {
  oracle: boolean;
  max_round: number;
  rounds: JsonRound[];
  round_comparison: { subsets: JsonRoundComparison[]; cwes: JsonRoundComparison[] };
  recorded_vs_evaluated_disagreements: number;
}

/** A run; feedback-repair runs also carry JsonRunRounds (pass@k after each round, round 0 vs the final one). */
export interface JsonRun extends Partial<JsonRunRounds> {
  model: string;
  experiment: string;
  files: string[];
  samples: number;
  statuses: Record<Status, number>;
  subsets: JsonGroup[];
  cwes: JsonGroup[];
  steps: { with: JsonGroup; without: JsonGroup } | null;
  tasks: JsonTask[];
  /** Functional vs secure; null unless the results carry soft outcomes and labels were given. */
  split: JsonRunSplit | null;
  /** Test-file benchmarks (SALLM, CWEval): scores from labelled test cases; absent when the run has none. */
  cases?: { subsets: JsonCaseGroup[]; cwes: JsonCaseGroup[] };
}

export interface JsonCaseGroup {
  group: string;
  tasks: number;
  func_at_k: PerK<number | null>;
  func_sec_at_k: PerK<number | null>;
  secure_at_k: PerK<number | null>;
  vulnerable_at_k: PerK<number | null>;
  ci: { func: PerK<Interval | null>; func_sec: PerK<Interval | null>; secure: PerK<Interval | null>; vulnerable: PerK<Interval | null> };
}

function caseGroup(ks: number[], g: CaseGroup): JsonCaseGroup {
  const at = (s: GroupScore) => perK(ks, s.passAtK, (v) => v);
  const ci = (s: GroupScore) => perK(ks, s.ci, (v) => v);
  return {
    group: g.group,
    tasks: g.func.tasks,
    func_at_k: at(g.func),
    func_sec_at_k: at(g.funcSec),
    secure_at_k: at(g.secure),
    vulnerable_at_k: at(g.vulnerable),
    ci: { func: ci(g.func), func_sec: ci(g.funcSec), secure: ci(g.secure), vulnerable: ci(g.vulnerable) },
  };
}

export interface JsonComparison {
  a: { model: string; experiment: string };
  b: { model: string; experiment: string };
  tasks: number;
  k: PerK<{
    mean_a: number;
    mean_b: number;
    diff: number;
    ci: Interval;
    p_value: number;
    b_better: number;
    a_better: number;
    ties: number;
  } | null>;
}

/** The machine-readable report: the same numbers as the other formats, as fractions (0..1). */
export interface JsonReport {
  format: 'codeseceval-report';
  version: 1;
  dataset: { source: string; kind: string; tasks: number };
  inputs: string[];
  k: number[];
  cwe_k: number;
  broken: {
    validation: string | null;
    excluded: boolean;
    tasks: { task_id: string; subset: string; verdict: string; reason: string }[];
  };
  bootstrap: { resamples: number; confidence: number; seed: number };
  permutations: number;
  groups: {
    subsets: { group: string; tasks: number }[];
    cwes: { group: string; tasks: number }[];
    steps: { with: number; without: number } | null;
  };
  runs: JsonRun[];
  comparisons: JsonComparison[];
  /** Only with `report --analysis FILE`: the "Static analysis vs tests" section. */
  static_analysis?: JsonStaticAnalysis;
  /** Whether the functional vs secure split is shown, over how many tasks, or why not. */
  split: { labelled_tasks: number; splittable_tasks: number } | { note: string } | null;
  /** Environment records per input, warnings where they differ, missing modules and network attempts. */
  environments: ReturnType<typeof environmentJson>['environments'];
  environment_warnings: ReturnType<typeof environmentJson>['environment_warnings'];
  environment_failures: ReturnType<typeof environmentJson>['environment_failures'];
  /** null: not checked (no samples file given or found); false: some samples have no result. */
  complete: boolean | null;
  /** Model × experiment result sets with fewer results than samples. */
  missing_results: { model: string; experiment: string; samples: number; results: number }[];
  /** Only when some results came through a batch API: per model, those made at batch prices. */
  batch_prices?: { model: string; samples: number; batch_samples: number; input_tokens: number; output_tokens: number; batch_input_tokens: number; batch_output_tokens: number }[];
}

function perK<T, U>(ks: number[], values: readonly T[], f: (v: T) => U): PerK<U> {
  return Object.fromEntries(ks.map((k, j) => [String(k), f(values[j]!)]));
}

function roundGroup(ks: number[], g: GroupScore): JsonRoundGroup {
  return { group: g.group, tasks: g.tasks, pass_at_k: perK(ks, g.passAtK, (v) => v), ci: perK(ks, g.ci, (v) => v) };
}

function group(ks: number[], g: GroupScore): JsonGroup {
  return {
    group: g.group,
    tasks: g.tasks,
    broken_tasks: g.brokenTasks,
    min_samples: g.minSamples,
    pass_at_k: perK(ks, g.passAtK, (v) => v),
    ci: perK(ks, g.ci, (v) => v),
  };
}

function roundSplit(ks: number[], g: RoundSplitGroup): JsonRoundSplit {
  return {
    group: g.group,
    tasks: g.tasks,
    func_at_k: perK(ks, g.func.passAtK, (v) => v),
    func_ci: perK(ks, g.func.ci, (v) => v),
    func_sec_at_k: perK(ks, g.funcSec.passAtK, (v) => v),
    func_sec_ci: perK(ks, g.funcSec.ci, (v) => v),
  };
}

function splitGroup(ks: number[], g: SplitGroup): JsonSplitGroup {
  return {
    ...roundSplit(ks, g),
    functional_samples: g.functionalSamples,
    vulnerable_samples: g.vulnerableSamples,
    vulnerable_rate: g.vulnerableRate,
    vulnerable_ci: g.vulnerableCi,
  };
}

function runSplit(ks: number[], s: RunSplit | undefined): JsonRunSplit | null {
  if (!s) return null;
  return {
    judged_samples: s.judgedSamples,
    subsets: s.subsets.map((g) => splitGroup(ks, g)),
    cwes: s.cwes.map((g) => splitGroup(ks, g)),
    tasks: s.tasks.map((t) => ({
      task_id: t.taskId,
      can_split: t.canSplit,
      all_labelled: t.allLabelled,
      counted: t.counted,
      n: t.n,
      functional: t.functional,
      functional_secure: t.functionalSecure,
      vulnerable: t.vulnerable,
      func_at_k: perK(ks, t.funcAtK, (v) => v),
      func_sec_at_k: perK(ks, t.funcSecAtK, (v) => v),
    })),
  };
}

function column(c: PairedColumn | null): JsonComparison['k'][string] {
  if (!c) return null;
  return {
    mean_a: c.meanA,
    mean_b: c.meanB,
    diff: c.diff,
    ci: c.ci,
    p_value: c.pValue,
    b_better: c.bBetter,
    a_better: c.aBetter,
    ties: c.ties,
  };
}

function jsonRoundCompare(ks: number[], c: GroupComparison): JsonRoundComparison {
  return {
    group: c.group,
    tasks: c.tasks,
    k: perK(ks, c.perK, (col) =>
      col
        ? { round_0: col.meanA, final: col.meanB, diff: col.diff, ci: col.ci, p_value: col.pValue, better: col.bBetter, worse: col.aBetter, ties: col.ties }
        : null,
    ),
  };
}

function jsonRound(ks: number[], r: RoundScore): JsonRound {
  return {
    round: r.round,
    asked: r.asked,
    stopped: r.done,
    input_tokens: r.inputTokens,
    output_tokens: r.outputTokens,
    subsets: r.subsets.map((g) => roundGroup(ks, g)),
    cwes: r.cwes.map((g) => roundGroup(ks, g)),
    split: r.split ? { subsets: r.split.subsets.map((g) => roundSplit(ks, g)), cwes: r.split.cwes.map((g) => roundSplit(ks, g)) } : null,
  };
}

/** The JSON fields of one run's rounds; empty for runs that are not feedback runs. */
function roundsJsonFor(report: Report, model: string, experiment: string): Partial<JsonRunRounds> {
  const run = report.rounds?.find((r) => r.model === model && r.experiment === experiment);
  if (!run) return {};
  return {
    oracle: run.oracle,
    max_round: run.maxRound,
    rounds: run.rounds.map((r) => jsonRound(report.ks, r)),
    round_comparison: {
      subsets: run.compare.subsets.map((c) => jsonRoundCompare(report.ks, c)),
      cwes: run.compare.cwes.map((c) => jsonRoundCompare(report.ks, c)),
    },
    recorded_vs_evaluated_disagreements: run.disagreements,
  };
}

export function toJson(report: Report): JsonReport {
  const { ks, scores } = report;
  const splits = new Map(report.split?.runs.map((s) => [`${s.model}\u0000${s.experiment}`, s]));
  const cases = new Map(report.caseScores?.map((c) => [`${c.model}\u0000${c.experiment}`, c]));
  return {
    format: 'codeseceval-report',
    version: 1,
    dataset: report.dataset,
    inputs: report.inputs,
    k: ks,
    cwe_k: report.cweK,
    broken: {
      validation: report.validationFile,
      excluded: report.excludeBroken,
      tasks: report.broken.map((b) => ({ task_id: b.taskId, subset: b.subset, verdict: b.verdict, reason: b.reason })),
    },
    bootstrap: report.bootstrap,
    permutations: report.permutations,
    groups: {
      subsets: scores.groups.subsets.map((g) => ({ group: g.label, tasks: g.ids.length })),
      cwes: scores.groups.cwes.map((g) => ({ group: g.label, tasks: g.ids.length })),
      steps: scores.groups.steps
        ? { with: scores.groups.steps.with.ids.length, without: scores.groups.steps.without.ids.length }
        : null,
    },
    runs: scores.runs.map((r) => ({
      model: r.model,
      experiment: r.experiment,
      files: r.files,
      samples: r.samples,
      statuses: r.statuses,
      subsets: r.subsets.map((g) => group(ks, g)),
      cwes: r.cwes.map((g) => group(ks, g)),
      steps: r.steps ? { with: group(ks, r.steps.with), without: group(ks, r.steps.without) } : null,
      tasks: r.tasks.map((t) => ({
        task_id: t.taskId,
        subset: t.subset,
        cwe: t.cweGroup,
        broken: t.broken,
        counted: t.counted,
        n: t.n,
        c: t.c,
        pass_at_k: perK(ks, t.passAtK, (v) => v),
      })),
      split: runSplit(ks, splits.get(`${r.model}\u0000${r.experiment}`)),
      ...casesJson(ks, cases.get(`${r.model}\u0000${r.experiment}`)),
      ...roundsJsonFor(report, r.model, r.experiment),
    })),
    comparisons: report.comparisons.map((c) => ({
      a: c.a,
      b: c.b,
      tasks: c.tasks,
      k: perK(ks, c.perK, column),
    })),
    split: report.split
      ? { labelled_tasks: report.split.labelledTasks, splittable_tasks: report.split.splittableTasks }
      : report.splitNote
        ? { note: report.splitNote }
        : null,
    ...(report.staticAnalysis ? { static_analysis: staticAnalysisJson(report.staticAnalysis) } : {}),
    ...environmentJson(report),
    complete: report.completenessChecked ? report.missing.length === 0 : null,
    missing_results: report.missing.map((m) => ({ model: m.model, experiment: m.experiment, samples: m.expected, results: m.judged })),
    ...(report.delivery.length
      ? {
          batch_prices: report.delivery.map((d) => ({
            model: d.model,
            samples: d.samples,
            batch_samples: d.batchSamples,
            input_tokens: d.inputTokens,
            output_tokens: d.outputTokens,
            batch_input_tokens: d.batchInputTokens,
            batch_output_tokens: d.batchOutputTokens,
          })),
        }
      : {}),
  };
}

function casesJson(ks: number[], c: RunCaseScores | undefined): Pick<JsonRun, 'cases'> {
  return c ? { cases: { subsets: c.subsets.map((g) => caseGroup(ks, g)), cwes: c.cwes.map((g) => caseGroup(ks, g)) } } : {};
}

export function renderJson(report: Report): string {
  return JSON.stringify(toJson(report), null, 2) + '\n';
}
