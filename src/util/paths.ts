import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package root, found from this file's location so it works both from `src/` (tsx,
 * vitest) and from the compiled `dist/`: both sit one level below the root.
 */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Files shipped as plain text in the package (prompt templates, the Python runner). */
export function packageFile(...parts: string[]): string {
  return path.join(PACKAGE_ROOT, 'src', ...parts);
}

/** Per-user cache: $CODESECEVAL_CACHE, else $XDG_CACHE_HOME/codeseceval, else ~/.cache/codeseceval. */
export function cacheDir(): string {
  if (process.env.CODESECEVAL_CACHE) return path.resolve(process.env.CODESECEVAL_CACHE);
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'codeseceval');
}
