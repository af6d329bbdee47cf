/**
 * Where the package and the cache are, and the checks every command makes on the paths it is
 * given before it opens anything for writing.
 *
 * - `PACKAGE_ROOT`, `packageFile(...parts)`, `cacheDir()`: as src/util/paths.ts had them.
 * - `realTarget(file)`: the absolute path a file really lives at (symlinks resolved), also
 *   when the file does not exist yet (its folder is resolved, and a symlink to it followed).
 * - `checkInputFile(file, flag)`: it exists and is a file (or a pipe), and can be read.
 * - `checkOutputFile(file, { flag, inputs, createFolder })`: it is not a folder; its folder
 *   exists (or is created with `createFolder`); it is none of `inputs` (by real path, so
 *   symlinks and hard links do not hide it); it and its folder are writable. Returns the real
 *   target path.
 * - `checkOutputFolder(dir, { flag, inputs, create })`: the same for an output folder.
 * - `createFolder(dir)`: `mkdir -p` whose error is the real cause (EROFS, EACCES), not the
 *   ENOENT Node's recursive mkdir reports; `createFolderError(e, dir)` words it, naming the
 *   level that could not be made.
 *
 * Messages name the flag and the path as the user wrote them, e.g.
 *   `--out a/b/c.jsonl: folder a/b does not exist`
 *   `--out r.jsonl is also an input (--samples); choose another file`
 *   `--out /ro/new/r.jsonl: cannot create folder /ro/new: read-only file system`
 *   `--out r.jsonl: folder runs is not writable: permission denied`
 */
import { accessSync, constants, mkdirSync, mkdtempSync, readlinkSync, realpathSync, statSync, type Stats } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { errnoCode, FileError, fsReason } from './errors.js';

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

/**
 * `mkdir -p` that reports the real cause: Node's recursive mkdir says ENOENT when a parent
 * cannot be made (a read-only file system, no permission), so each missing level is made in
 * turn and the first failure is thrown as it is, its `path` the folder that could not be made.
 */
export function createFolder(dir: string, mode?: number): void {
  const missing: string[] = [];
  for (let d = path.resolve(dir); ; ) {
    try {
      statSync(d);
      break;
    } catch (e) {
      const code = errnoCode(e);
      if (code !== 'ENOENT') throw e;
    }
    missing.push(d);
    const parent = path.dirname(d);
    if (parent === d) break;
    d = parent;
  }
  for (const d of missing.reverse()) {
    try {
      mkdirSync(d, mode === undefined ? {} : { mode });
    } catch (e) {
      // Made meanwhile by another process: as good as made by us.
      if (errnoCode(e) !== 'EEXIST') throw e;
    }
  }
}

/** The words for a temporary folder that cannot be made: the cause, the place, and the way out. */
export function tempFolderError(e: unknown, purpose: string): FileError {
  const dir = os.tmpdir();
  return new FileError(`cannot create a temporary folder for ${purpose} in ${dir}: ${fsReason(e)}; set TMPDIR to a writable folder`, dir);
}

/** A new private folder under TMPDIR (`PREFIX` + random); a failure is a FileError naming TMPDIR and the cause. */
export function makeTempFolder(prefix: string, purpose: string): string {
  try {
    return mkdtempSync(path.join(os.tmpdir(), prefix));
  } catch (e) {
    throw tempFolderError(e, purpose);
  }
}

/** `cannot create folder X: REASON`, X the level that failed (which may be a parent of `dir`). */
export function createFolderError(e: unknown, dir: string): string {
  const failed = (e as NodeJS.ErrnoException | null)?.path ?? dir;
  return `cannot create folder ${failed}: ${fsReason(e)}`;
}

export function realTarget(file: string): string {
  let abs = path.resolve(file);
  for (let hops = 0; hops < 40; hops++) {
    try {
      return realpathSync(abs);
    } catch {
      // Not there yet: where it would be created.
    }
    // A symlink to a file not made yet: writing through it creates its target, so that is
    // the file (two names of one future file must share one lock).
    let link: string;
    try {
      link = readlinkSync(abs);
    } catch {
      break;
    }
    let dir = path.dirname(abs);
    try {
      dir = realpathSync(dir);
    } catch {
      // resolved lexically below
    }
    abs = path.resolve(dir, link);
  }
  try {
    return path.join(realpathSync(path.dirname(abs)), path.basename(abs));
  } catch {
    return abs;
  }
}

function label(flag: string | undefined, file: string): string {
  return flag ? `${flag} ${file}` : file;
}

function statOrNull(file: string): Stats | null {
  try {
    return statSync(file);
  } catch (e) {
    const code = errnoCode(e);
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw e;
  }
}

export function checkInputFile(file: string, flag?: string): void {
  const what = label(flag, file);
  let st: Stats | null;
  try {
    st = statOrNull(file);
  } catch (e) {
    throw new FileError(`${what}: cannot read: ${fsReason(e)}`, file);
  }
  if (!st) throw new FileError(`${what}: no such file`, file);
  if (st.isDirectory()) throw new FileError(`${what}: is a directory, not a file`, file);
  try {
    accessSync(file, constants.R_OK);
  } catch (e) {
    throw new FileError(`${what}: cannot read: ${fsReason(e)}`, file);
  }
}

export interface OutputInput {
  /** How the user gave it: "--samples", "--validation", "results file". */
  flag: string;
  file: string;
}

export interface CheckOutputOptions {
  flag?: string;
  inputs?: readonly OutputInput[];
  /** Create a missing folder (and its parents) instead of refusing. */
  createFolder?: boolean;
}

function sameFile(a: string, b: string, aStat: Stats | null): boolean {
  if (realTarget(a) === realTarget(b)) return true;
  // Hard links: two names, one file.
  if (!aStat) return false;
  const bStat = statOrNull(b);
  return bStat !== null && bStat.dev === aStat.dev && bStat.ino === aStat.ino;
}

function checkFolder(dir: string, what: string, file: string, create: boolean): void {
  let st: Stats | null;
  try {
    st = statSync(dir);
  } catch (e) {
    const code = errnoCode(e);
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw new FileError(`${what}: folder ${dir}: ${fsReason(e)}`, file);
    if (code === 'ENOTDIR') throw new FileError(`${what}: a part of ${dir} is not a folder`, file);
    if (!create) throw new FileError(`${what}: folder ${dir} does not exist`, file);
    try {
      createFolder(dir);
    } catch (e2) {
      throw new FileError(`${what}: ${createFolderError(e2, dir)}`, file);
    }
    return;
  }
  if (!st.isDirectory()) throw new FileError(`${what}: ${dir} is not a folder`, file);
  try {
    accessSync(dir, constants.W_OK);
  } catch (e) {
    throw new FileError(`${what}: folder ${dir} is not writable: ${fsReason(e)}`, file);
  }
}

function checkNotInput(file: string, flag: string | undefined, st: Stats | null, inputs: readonly OutputInput[], kind: string): void {
  for (const input of inputs) {
    if (sameFile(file, input.file, st)) {
      throw new FileError(`${label(flag, file)} is also an input (${input.flag}); choose another ${kind}`, file);
    }
  }
}

export function checkOutputFile(file: string, opts: CheckOutputOptions = {}): string {
  const what = label(opts.flag, file);
  let st: Stats | null;
  try {
    st = statOrNull(file);
  } catch (e) {
    throw new FileError(`${what}: ${fsReason(e)}`, file);
  }
  if (st?.isDirectory()) throw new FileError(`${what}: is a directory, not a file`, file);
  if (st && !st.isFile()) throw new FileError(`${what}: is not a regular file`, file);
  checkFolder(path.dirname(file), what, file, opts.createFolder ?? false);
  checkNotInput(file, opts.flag, st, opts.inputs ?? [], 'file');
  if (st) {
    try {
      accessSync(file, constants.W_OK);
    } catch (e) {
      throw new FileError(`${what}: is not writable: ${fsReason(e)}`, file);
    }
  }
  return realTarget(file);
}

export interface CheckOutputFolderOptions {
  flag?: string;
  inputs?: readonly OutputInput[];
  /** Create the folder (and its parents) when missing; otherwise its parent must exist. */
  create?: boolean;
}

/**
 * An output folder (`run --out DIR`): not a file, its parent exists, it is not one of the
 * inputs, it is writable. With `create` it is made. Returns its real path.
 */
export function checkOutputFolder(dir: string, opts: CheckOutputFolderOptions = {}): string {
  const what = label(opts.flag, dir);
  let st: Stats | null;
  try {
    st = statOrNull(dir);
  } catch (e) {
    throw new FileError(`${what}: ${fsReason(e)}`, dir);
  }
  if (st && !st.isDirectory()) throw new FileError(`${what}: is a file, not a folder`, dir);
  checkNotInput(dir, opts.flag, st, opts.inputs ?? [], 'folder');
  if (st) {
    try {
      accessSync(dir, constants.W_OK);
    } catch (e) {
      throw new FileError(`${what}: folder is not writable: ${fsReason(e)}`, dir);
    }
  } else if (opts.create) {
    try {
      createFolder(dir);
    } catch (e) {
      throw new FileError(`${what}: ${createFolderError(e, dir)}`, dir);
    }
  } else {
    checkFolder(path.dirname(dir), what, dir, false);
  }
  return realTarget(dir);
}
