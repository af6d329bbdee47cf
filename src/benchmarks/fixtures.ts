import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { FixtureSet } from '../core/exec.js';

const cache = new Map<string, FixtureSet>();

/**
 * A fixture folder read into memory once (the dataset's fixtures are a few hundred KiB), so
 * jobs carry content and executors never read the dataset's folders: the sandbox cannot reach
 * the dataset source, and a remote executor needs nothing but the job.
 */
export function readFixtureSet(dir: string, leaveOut?: { key: string; topLevel: (name: string) => boolean }): FixtureSet {
  const cacheKey = leaveOut ? `${dir}\0${leaveOut.key}` : dir;
  const hit = cache.get(cacheKey);
  if (hit) return hit;
  const files: { path: string; data: Uint8Array }[] = [];
  const walk = (rel: string) => {
    for (const entry of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      // A shared task folder (SALLM's) holds every task's own files beside the common ones.
      if (!rel && leaveOut?.topLevel(entry.name)) continue;
      // Links are followed as the copy always did (dereference), so a link's target content ships.
      if (entry.isDirectory()) walk(child);
      else if (entry.isFile() || entry.isSymbolicLink()) files.push({ path: child, data: readFileSync(path.join(dir, child)) });
    }
  };
  walk('');
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const hash = createHash('sha256');
  for (const f of files) hash.update(f.path).update('\0').update(String(f.data.length)).update('\0').update(f.data);
  const set: FixtureSet = { id: hash.digest('hex').slice(0, 16), files };
  cache.set(cacheKey, set);
  return set;
}
