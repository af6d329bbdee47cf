import type { Command } from 'commander';
import { BENCHMARKS } from '../benchmarks/index.js';
import type { Dataset } from '../core/task.js';
import { openDatasets } from '../dataset/locate.js';

export interface DatasetFlags {
  dataset?: string[];
  benchmark?: string;
}

export const collectDatasets = (v: string, prev: string[] = []) => [...prev, v];
export const DATASET_HELP = "dataset folder or HumanEval .jsonl, in any benchmark's layout; repeat for several benchmarks (default: $CODESECEVAL_DATASET, else the fetched copy)";
export const BENCHMARK_HELP = `comma-separated benchmarks to run together, each found by its variable or the fetch cache unless --dataset gives it: ${BENCHMARKS.map((b) => b.kind).join(', ')}`;

/**
 * `--dataset DIR` (repeatable: one per benchmark) and `--benchmark LIST`: the data a command
 * works on, one benchmark or several pooled.
 */
export function addDatasetOptions(cmd: Command): Command {
  return cmd.option('--dataset <dir>', DATASET_HELP, collectDatasets).option('--benchmark <list>', BENCHMARK_HELP);
}

export function datasetFrom(flags: DatasetFlags): Dataset {
  return openDatasets(flags.dataset, flags.benchmark);
}
