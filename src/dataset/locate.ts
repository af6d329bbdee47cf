import { existsSync } from 'node:fs';
import path from 'node:path';
import { benchmarkOf, fetchedDir, loadDataset, mergeDatasets, parseBenchmarkName } from '../benchmarks/index.js';
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
  if (flag) return existing(path.resolve(flag), '--dataset');
  const bench = benchmarkOf(kind);
  const env = process.env[bench.datasetEnv];
  if (env) return existing(path.resolve(env), `$${bench.datasetEnv}`);
  const fetched = fetchedDir(bench.kind);
  if (existsSync(fetched)) return fetched;
  const fetch = bench.fetch ? `, or run \`codeseceval dataset fetch${kind === DEFAULT_BENCHMARK ? '' : ` ${kind}`}\` to download it` : '';
  throw new UserError(`no ${bench.label} dataset: pass --dataset DIR or set ${bench.datasetEnv}${fetch}`);
}

export function openDataset(flag?: string, kind: DatasetKind = DEFAULT_BENCHMARK): Dataset {
  return loadDataset(locateDataset(flag, kind));
}

/**
 * The dataset of a command that may run several benchmarks: every `--dataset` given (each in
 * its own benchmark's layout), plus each benchmark of `--benchmark a,b,c` not given one, found
 * as `openDataset` finds it. One dataset is returned as it is; several are merged (pooled).
 */
export function openDatasets(flags: string | readonly string[] | undefined, benchmarks?: string): Dataset {
  const paths = flags === undefined ? [] : typeof flags === 'string' ? [flags] : [...flags];
  const wanted = (benchmarks ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((name) => parseBenchmarkName(name).kind);
  const loaded = paths.map((p) => loadDataset(existing(path.resolve(p), '--dataset')));
  if (wanted.length) {
    for (const d of loaded) {
      if (!wanted.includes(d.kind)) throw new UserError(`--dataset ${d.source} is a ${d.kind} dataset, which --benchmark ${benchmarks} does not name`);
    }
    for (const kind of wanted) if (!loaded.some((d) => d.kind === kind)) loaded.push(openDataset(undefined, kind));
  }
  if (!loaded.length) loaded.push(openDataset());
  return mergeDatasets(loaded);
}

/** A path the user gave must exist; the message names where it came from (a flag or a variable). */
function existing(dir: string, source: string): string {
  if (!existsSync(dir)) throw new UserError(`${source}: ${dir}: no such file or folder`);
  return dir;
}
