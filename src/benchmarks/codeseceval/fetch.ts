import { type FetchOptions, type FetchResult, defaultDatasetUrl as pinnedUrl, fetchPinned } from '../fetch/fetch.js';
import { MANIFEST } from './manifest.js';
import { fetchedDir } from '../fetch/paths.js';

export { type FetchProgress, formatBytes } from '../fetch/fetch.js';

/** CodeSecEval's archive may also be named by this variable (a mirror, a local copy). */
export const DATASET_URL_ENV = 'CODESECEVAL_DATASET_URL';

export function defaultDatasetUrl(): string {
  return pinnedUrl(MANIFEST);
}

/** --url, then $CODESECEVAL_DATASET_URL, then the pinned upstream tarball. */
export function resolveDatasetUrl(flag?: string): string {
  return flag || process.env[DATASET_URL_ENV] || defaultDatasetUrl();
}

/** Fetch the pinned CodeSecEval data into the cache folder `openDataset()` looks in. */
export function fetchDataset(opts: Partial<FetchOptions> = {}): Promise<FetchResult> {
  return fetchPinned({ ...opts, url: resolveDatasetUrl(opts.url), dest: opts.dest ?? fetchedDir('codeseceval'), manifest: opts.manifest ?? MANIFEST });
}
