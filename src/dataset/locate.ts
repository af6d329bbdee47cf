import { existsSync } from 'node:fs';
import path from 'node:path';
import { benchmarkOf, fetchedDir, loadDataset } from '../benchmarks/index.js';
import { UserError } from '../core/errors.js';
import type { Dataset, DatasetKind } from '../core/task.js';

/** The default benchmark when no flag names one. */
export const DEFAULT_BENCHMARK = 'codeseceval';

/** Where `codeseceval dataset fetch [NAME]` installs a benchmark (CodeSecEval by default). */
export function fetchedDatasetDir(kind: DatasetKind = DEFAULT_BENCHMARK): string {
  return fetchedDir(benchmarkOf(kind).kind);
}

/**
 * The dataset location, in order: the --dataset flag, the benchmark's variable
 * ($CODESECEVAL_DATASET, $CODESECEVAL_SALLM, ...), then the cache filled by
 * `codeseceval dataset fetch`.
 */
export function locateDataset(flag?: string, kind: DatasetKind = DEFAULT_BENCHMARK): string {
  if (flag) return path.resolve(flag);
  const bench = benchmarkOf(kind);
  const env = process.env[bench.datasetEnv];
  if (env) return path.resolve(env);
  const fetched = fetchedDir(bench.kind);
  if (existsSync(fetched)) return fetched;
  const fetch = bench.fetch ? `, or run \`codeseceval dataset fetch${kind === DEFAULT_BENCHMARK ? '' : ` ${kind}`}\` to download it` : '';
  throw new UserError(`no ${bench.label} dataset: pass --dataset DIR or set ${bench.datasetEnv}${fetch}`);
}

export function openDataset(flag?: string, kind: DatasetKind = DEFAULT_BENCHMARK): Dataset {
  return loadDataset(locateDataset(flag, kind));
}
