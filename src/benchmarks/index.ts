import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Benchmark, SampleCode } from '../core/benchmark.js';
import { DatasetError } from '../core/errors.js';
import type { ExecJob } from '../core/exec.js';
import type { Dataset, DatasetKind, Task } from '../core/task.js';
import { codeSecEval } from './codeseceval/index.js';
import { humanEval } from './humaneval/index.js';

/** The registry. The first benchmark that recognises a location loads it. */
export const BENCHMARKS: readonly Benchmark[] = [codeSecEval, humanEval];

export function benchmarkOf(kind: DatasetKind): Benchmark {
  const b = BENCHMARKS.find((x) => x.kind === kind);
  if (!b) throw new Error(`no benchmark registered as "${kind}"`);
  return b;
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

/** The job running `program` against a task's test, with its fixtures as content. */
export function taskJob(task: Task, program: string, opts?: { timeoutSec?: number | undefined; soft?: boolean }): ExecJob {
  return benchmarkForTask(task).job(task, program, opts);
}

/** The program a sample line stands for. */
export function sampleProgram(task: Task, sample: SampleCode): string {
  return benchmarkForTask(task).program(task, sample);
}

function benchmarkForTask(task: Task): Benchmark {
  const b = BENCHMARKS.find((x) => x.subsets.includes(task.subset));
  if (!b) throw new Error(`no benchmark registered for subset "${task.subset}" (task ${task.id})`);
  return b;
}

export { ANNOTATION_FILE, CODESECEVAL_SUBSETS } from './codeseceval/load.js';
