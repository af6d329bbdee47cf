import { existsSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../util/errors.js';
import { cacheDir } from '../util/paths.js';
import { loadDataset } from './load.js';
import type { Dataset } from './types.js';

/** Where `codeseceval dataset fetch` installs the pinned upstream dataset. */
export function fetchedDatasetDir(): string {
  return path.join(cacheDir(), 'datasets', 'codeseceval');
}

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
