import path from 'node:path';
import { cacheDir } from '../../io/paths.js';

/** Where `codeseceval dataset fetch NAME` installs a benchmark's pinned data. */
export function fetchedDir(kind: string): string {
  return path.join(cacheDir(), 'datasets', kind);
}
