import { existsSync } from 'node:fs';
import path from 'node:path';
import { fetchedDatasetDir } from '../benchmarks/codeseceval/paths.js';
import { loadDataset } from '../benchmarks/index.js';
import { UserError } from '../core/errors.js';
import type { Dataset } from '../core/task.js';

export { fetchedDatasetDir };

/**
 * The dataset location, in order: the --dataset flag, $CODESECEVAL_DATASET, then the cache
 * filled by `codeseceval dataset fetch`.
 */
export function locateDataset(flag?: string): string {
  if (flag) return path.resolve(flag);
  const env = process.env.CODESECEVAL_DATASET;
  if (env) return path.resolve(env);
  const fetched = fetchedDatasetDir();
  if (existsSync(fetched)) return fetched;
  throw new UserError(
    'no dataset: pass --dataset DIR, set CODESECEVAL_DATASET, or run `codeseceval dataset fetch` to download it',
  );
}

export function openDataset(flag?: string): Dataset {
  return loadDataset(locateDataset(flag));
}
