import { createHash } from 'node:crypto';
import { lstat, readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { Manifest } from '../../core/manifest.js';

export { Manifest } from '../../core/manifest.js';

/**
 * Written next to the data by `dataset fetch`. Not part of the manifest, so verification of an
 * install skips it.
 */
export const FETCH_INFO_FILE = '.codeseceval-fetch.json';

/** What `dataset fetch` records beside an install: where the data came from. */
export const FetchInfo = z.looseObject({
  repo: z.string(),
  commit: z.string(),
  url: z.string(),
  archiveSha256: z.string(),
  archiveBytes: z.number(),
  fetchedAt: z.string(),
});
export type FetchInfo = z.infer<typeof FetchInfo>;

/** Finder litter and the like that upstream commits in places; never data, never installed. */
export function isJunkFile(name: string, manifest: Pick<Manifest, 'skip'>): boolean {
  return name === '.DS_Store' || manifest.skip.includes(name);
}

/** Whether a manifest-relative path is data: one of the data roots, or inside one. */
export function isDataPath(rel: string, manifest: Pick<Manifest, 'dataRoots'>): boolean {
  return manifest.dataRoots.some((root) => rel === root || rel.startsWith(`${root}/`));
}

/** Whether the path is data and not junk. */
function isDataFile(rel: string, manifest: Pick<Manifest, 'dataRoots' | 'skip'>): boolean {
  return isDataPath(rel, manifest) && !isJunkFile(path.posix.basename(rel), manifest);
}

export async function sha256File(file: string): Promise<string> {
  return createHash('sha256').update(await readFile(file)).digest('hex');
}

export interface TreeEntry {
  /** Relative to the walked root, `/`-separated. */
  rel: string;
  kind: 'file' | 'other';
}

/** Every non-directory below `root` (symlinks are reported, never followed). */
export async function walkTree(root: string): Promise<TreeEntry[]> {
  const out: TreeEntry[] = [];
  async function visit(dir: string, prefix: string): Promise<void> {
    const names = (await readdir(dir)).sort();
    for (const name of names) {
      const abs = path.join(dir, name);
      const rel = prefix ? `${prefix}/${name}` : name;
      const st = await lstat(abs);
      if (st.isDirectory()) await visit(abs, rel);
      else out.push({ rel, kind: st.isFile() ? 'file' : 'other' });
    }
  }
  await visit(root, '');
  return out;
}

/** Hash the data files of a dataset folder (the data roots only, junk skipped). */
export async function hashDataTree(root: string, manifest: Pick<Manifest, 'dataRoots' | 'skip'>): Promise<Manifest['files']> {
  const files: Manifest['files'] = {};
  for (const e of await walkTree(root)) {
    if (!isDataFile(e.rel, manifest)) continue;
    if (e.kind !== 'file') throw new Error(`${path.join(root, e.rel)}: not a regular file`);
    const abs = path.join(root, e.rel);
    const data = await readFile(abs);
    files[e.rel] = { sha256: createHash('sha256').update(data).digest('hex'), size: data.length };
  }
  return files;
}

export interface TreeProblem {
  file: string;
  kind: 'missing' | 'modified' | 'unexpected';
  detail: string;
}

/**
 * Compare a dataset folder with the manifest: every listed file present with its exact bytes,
 * nothing else inside the data roots (an extra fixture could change what a test sees).
 * Files outside the data roots (the fetch info, a README) are not data and are ignored.
 */
export async function verifyTree(root: string, manifest: Manifest): Promise<TreeProblem[]> {
  const problems: TreeProblem[] = [];
  const seen = new Set<string>();
  for (const e of await walkTree(root)) {
    if (!isDataFile(e.rel, manifest)) continue;
    const want = manifest.files[e.rel];
    if (!want) {
      problems.push({ file: e.rel, kind: 'unexpected', detail: 'not in the pinned manifest' });
      continue;
    }
    seen.add(e.rel);
    if (e.kind !== 'file') {
      problems.push({ file: e.rel, kind: 'modified', detail: 'not a regular file' });
      continue;
    }
    const got = await sha256File(path.join(root, e.rel));
    if (got !== want.sha256) {
      problems.push({ file: e.rel, kind: 'modified', detail: `SHA-256 ${got.slice(0, 12)}… instead of ${want.sha256.slice(0, 12)}…` });
    }
  }
  for (const rel of Object.keys(manifest.files)) {
    if (!seen.has(rel)) problems.push({ file: rel, kind: 'missing', detail: 'missing' });
  }
  return problems;
}

/** One line naming the first problem and how many more there are. */
export function describeProblems(problems: TreeProblem[]): string {
  const [first] = problems;
  if (!first) return 'no problems';
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})` : '';
  const what = first.kind === 'unexpected' ? 'unexpected file, not in the pinned manifest' : first.detail;
  return `${first.file}: ${what}${more}`;
}
