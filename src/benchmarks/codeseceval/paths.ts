import path from 'node:path';
import { cacheDir } from '../../io/paths.js';

/** Where `codeseceval dataset fetch` installs the pinned upstream dataset. */
export function fetchedDatasetDir(): string {
  return path.join(cacheDir(), 'datasets', 'codeseceval');
}
