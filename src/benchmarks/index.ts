import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Benchmark, SampleCode } from '../core/benchmark.js';
import { DatasetError, UserError } from '../core/errors.js';
import type { ExecJob } from '../core/exec.js';
import type { Dataset, DatasetKind, Subset, Task } from '../core/task.js';
import { codeSecEval } from './codeseceval/index.js';
import { cweval } from './cweval/index.js';
import { humanEval } from './humaneval/index.js';
import { sallm } from './sallm/index.js';

/** The registry. The first benchmark that recognises a location loads it (HumanEval's loose layout last). */
export const BENCHMARKS: readonly Benchmark[] = [codeSecEval, sallm, cweval, humanEval];

export function benchmarkOf(kind: DatasetKind): Benchmark {
  const b = findBenchmark(kind);
  if (!b) throw new Error(`no benchmark registered as "${kind}"`);
  return b;
}

/** The benchmark registered under `kind`, or undefined. */
export function findBenchmark(kind: DatasetKind): Benchmark | undefined {
  return BENCHMARKS.find((x) => x.kind === kind);
}

/** `--benchmark NAME`: a registered benchmark, or one line listing them. */
export function parseBenchmarkName(value: string, flag = '--benchmark'): Benchmark {
  const b = findBenchmark(value.trim().toLowerCase());
  if (!b) throw new UserError(`${flag}: unknown benchmark "${value}" (one of ${BENCHMARKS.map((x) => x.kind).join(', ')})`);
  return b;
}

export { fetchedDir } from './fetch/paths.js';

/**
 * A subset named on the command line: its own name or one of its benchmark's aliases, in any
 * case; null when no benchmark has it.
 */
export function resolveSubset(value: string): { bench: Benchmark; subset: Subset } | null {
  const want = value.trim().toLowerCase();
  for (const bench of BENCHMARKS) {
    const own = bench.subsets.find((s) => s.toLowerCase() === want);
    const subset = own ?? bench.subsetAliases[want];
    if (subset) return { bench, subset };
  }
  return null;
}

/**
 * Load a dataset from a folder or file: a folder holding SecEvalBase/ and SecEvalPlus/ is
 * CodeSecEval; a .jsonl file (or a folder with exactly one) is HumanEval.
 */
export function loadDataset(location: string): Dataset {
  const abs = path.resolve(location);
  if (!existsSync(abs)) throw new DatasetError(abs, 'no such file or folder');
  const b = BENCHMARKS.find((x) => x.recognises(abs));
  if (!b) throw new DatasetError(abs, `not a dataset: expected ${BENCHMARKS.map((x) => x.description).join('; or ')}`);
  return b.load(abs);
}

/** The kind of a dataset that joins several benchmarks' datasets. */
export const POOLED_KIND = 'pooled';

/**
 * Several benchmarks' datasets as one, for a run over all of them: tasks in the order given
 * (each finds its benchmark by its subset), the parts kept for per-benchmark groups and
 * content hashes. Two datasets of the same benchmark, or a task ID in two of them, are refused.
 */
export function mergeDatasets(parts: readonly Dataset[]): Dataset {
  if (parts.length === 1) return parts[0]!;
  const kinds = new Set<string>();
  const byId = new Map<string, Task>();
  for (const p of parts) {
    if (kinds.has(p.kind)) throw new UserError(`two ${p.kind} datasets given; pass one dataset per benchmark`);
    kinds.add(p.kind);
    for (const t of p.tasks) {
      if (byId.has(t.id)) throw new DatasetError(p.source, 'task ID also in another benchmark\'s dataset', t.id, 'id');
      byId.set(t.id, t);
    }
  }
  return {
    kind: POOLED_KIND,
    source: parts.map((p) => p.source).join(' + '),
    tasks: parts.flatMap((p) => p.tasks),
    byId,
    untestable: parts.flatMap((p) => p.untestable ?? []),
    parts: [...parts],
  };
}

/** The job running `program` against a task's test, with its fixtures as content. */
export function taskJob(task: Task, program: string, opts?: { timeoutSec?: number | undefined; soft?: boolean }): ExecJob {
  return benchmarkForTask(task).job(task, program, opts);
}

/** The program a sample line stands for. */
export function sampleProgram(task: Task, sample: SampleCode): string {
  return benchmarkForTask(task).program(task, sample);
}

/**
 * What the sandbox's runner should import before forking samples of these tasks: the union
 * of their benchmarks' `preload` lists, or undefined (the runner's own list) when one of
 * them has none.
 */
export function preloadFor(tasks: readonly Task[]): string[] | undefined {
  if (!tasks.length) return undefined;
  const names = new Set<string>();
  for (const bench of new Set(tasks.map(benchmarkForTask))) {
    if (!bench.preload) return undefined;
    for (const name of bench.preload) names.add(name);
  }
  return [...names];
}

/** The benchmark a task came from, found by its subset. */
export function benchmarkForTask(task: Task): Benchmark {
  const b = BENCHMARKS.find((x) => x.subsets.includes(task.subset));
  if (!b) throw new Error(`no benchmark registered for subset "${task.subset}" (task ${task.id})`);
  return b;
}

export { ANNOTATION_FILE, CODESECEVAL_SUBSETS } from './codeseceval/load.js';
