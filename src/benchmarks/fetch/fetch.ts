import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { fileURLToPath } from 'node:url';
import * as tar from 'tar';
import { FETCH_INFO_FILE, type FetchInfo, type Manifest, describeProblems, isDataPath, isJunkFile, verifyTree } from './manifest.js';
import { UserError } from '../../core/errors.js';
import { FileError } from '../../io/errors.js';
import { createFolder, createFolderError } from '../../io/paths.js';

/** GitHub's tarball of the pinned commit; its top folder is `<name>-<commit>/`. */
export function defaultDatasetUrl(manifest: Manifest): string {
  return `https://codeload.github.com/${manifest.repo}/tar.gz/${manifest.commit}`;
}

export type FetchPhase = 'download' | 'extract' | 'verify' | 'install';

export interface FetchProgress {
  phase: FetchPhase;
  /** Bytes received so far (download phase). */
  bytes: number;
  /** From Content-Length when the server sends one; GitHub's generated tarballs often don't. */
  total: number | null;
}

export interface FetchOptions {
  /** The archive; the pinned upstream tarball when absent. */
  url?: string | undefined;
  /** Replace an existing install (after the new one has been verified). */
  force?: boolean | undefined;
  /** Install folder. */
  dest: string;
  manifest: Manifest;
  onProgress?: (p: FetchProgress) => void;
  /** Refuse archives larger than this (a runaway or wrong URL must not fill the disk). */
  maxBytes?: number;
  /** Give up when the server sends nothing for this long. */
  stallTimeoutMs?: number;
}

export interface FetchResult {
  status: 'installed' | 'already-installed';
  dir: string;
  /** Null when nothing was downloaded. */
  url: string | null;
  archiveBytes: number;
  archiveSha256: string | null;
  files: number;
}

const DEFAULT_MAX_BYTES = 512 * 1024 * 1024;
const DEFAULT_STALL_MS = 60_000;

/**
 * Download a pinned upstream archive, check every data file against the manifest and
 * install it. The archive is unpacked in a staging folder beside the destination, so the
 * final step is a rename on one file system; on any failure the staging folder is removed and
 * an earlier install is left as it was.
 */
export async function fetchPinned(opts: FetchOptions): Promise<FetchResult> {
  const manifest = opts.manifest;
  const dest = path.resolve(opts.dest);
  const fileCount = Object.keys(manifest.files).length;

  if (existsSync(dest) && !opts.force) {
    const problems = await verifyTree(dest, manifest);
    if (problems.length) {
      throw new UserError(
        `${dest} holds a dataset that fails verification (${describeProblems(problems)}); run with --force to replace it`,
      );
    }
    return { status: 'already-installed', dir: dest, url: null, archiveBytes: 0, archiveSha256: null, files: fileCount };
  }

  const url = opts.url || defaultDatasetUrl(manifest);
  let staging: string;
  try {
    createFolder(path.dirname(dest));
    staging = await mkdtemp(path.join(path.dirname(dest), `.${path.basename(dest)}-fetch-`));
  } catch (e) {
    throw new FileError(`${dest}: ${createFolderError(e, path.dirname(dest))}`, dest);
  }
  try {
    const archive = path.join(staging, 'archive.tar.gz');
    const report = (phase: FetchPhase, bytes = 0, total: number | null = null) => opts.onProgress?.({ phase, bytes, total });
    report('download');
    const { bytes, sha256 } = await download(url, archive, {
      maxBytes: opts.maxBytes ?? DEFAULT_MAX_BYTES,
      stallMs: opts.stallTimeoutMs ?? DEFAULT_STALL_MS,
      onBytes: (b, total) => report('download', b, total),
    });

    report('extract', bytes);
    const unpacked = path.join(staging, 'unpacked');
    const dataDir = await extractDataFolder(archive, unpacked, manifest, url);

    report('verify', bytes);
    const problems = await verifyTree(dataDir, manifest);
    if (problems.length) {
      throw new UserError(`${url}: downloaded dataset fails verification: ${describeProblems(problems)}; nothing was installed`);
    }
    const info: FetchInfo = { repo: manifest.repo, commit: manifest.commit, url, archiveSha256: sha256, archiveBytes: bytes, fetchedAt: new Date().toISOString() };
    await writeFile(path.join(dataDir, FETCH_INFO_FILE), `${JSON.stringify(info, null, 2)}\n`);

    report('install', bytes);
    await swapInto(dataDir, dest);
    return { status: 'installed', dir: dest, url, archiveBytes: bytes, archiveSha256: sha256, files: fileCount };
  } finally {
    // Retries cover a folder still being written to when an error cut the work short; a
    // failed clean-up must not hide the error that matters.
    await rm(staging, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 }).catch(() => undefined);
  }
}

interface DownloadOptions {
  maxBytes: number;
  stallMs: number;
  onBytes: (bytes: number, total: number | null) => void;
}

/** Save the archive to `file`, hashing and counting as it streams; a local path or file: URL is copied. */
async function download(url: string, file: string, o: DownloadOptions): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  let total: number | null = null;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      bytes += chunk.length;
      if (bytes > o.maxBytes) {
        cb(new UserError(`${url}: archive is larger than ${formatBytes(o.maxBytes)}; refusing to continue`));
        return;
      }
      hash.update(chunk);
      o.onBytes(bytes, total);
      cb(null, chunk);
    },
  });

  const local = localPath(url);
  if (local !== null) {
    try {
      total = (await stat(local)).size;
      await pipeline(createReadStream(local), meter, createWriteStream(file));
    } catch (e) {
      if (e instanceof UserError) throw e;
      throw new UserError(`cannot read ${local}: ${(e as Error).message}`);
    }
    return { bytes, sha256: hash.digest('hex') };
  }

  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UserError(`not a URL or an existing file: ${url}`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new UserError(`unsupported URL scheme "${parsed.protocol}" in ${url} (use https:, http:, file: or a path)`);
  }

  // One controller for connecting and streaming: the timer restarts on every chunk, so a slow
  // but live transfer is never cut while a silent server is.
  const ctrl = new AbortController();
  let stalled = false;
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      stalled = true;
      ctrl.abort();
    }, o.stallMs);
  };
  const failure = (e: unknown, when: string) =>
    new UserError(
      stalled ? `${url}: no data for ${Math.round(o.stallMs / 1000)} s ${when}; giving up` : `${url}: download failed ${when}: ${networkReason(e)}`,
    );

  arm();
  try {
    let res: Response;
    try {
      res = await fetch(url, { signal: ctrl.signal, redirect: 'follow' });
    } catch (e) {
      throw failure(e, 'while connecting');
    }
    if (!res.ok || !res.body) {
      await res.body?.cancel().catch(() => undefined);
      throw new UserError(`${url}: download failed: HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`);
    }
    const length = Number(res.headers.get('content-length'));
    total = Number.isFinite(length) && length > 0 ? length : null;
    if (total !== null && total > o.maxBytes) {
      await res.body.cancel().catch(() => undefined);
      throw new UserError(`${url}: archive is ${formatBytes(total)}, larger than the ${formatBytes(o.maxBytes)} limit`);
    }
    const tick = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        arm();
        cb(null, chunk);
      },
    });
    try {
      await pipeline(Readable.fromWeb(res.body as unknown as NodeReadableStream<Uint8Array>), tick, meter, createWriteStream(file));
    } catch (e) {
      if (e instanceof UserError) throw e;
      throw failure(e, `after ${formatBytes(bytes)}`);
    }
  } finally {
    clearTimeout(timer);
  }
  if (total !== null && bytes !== total) {
    throw new UserError(`${url}: download truncated: got ${bytes} of ${total} bytes`);
  }
  return { bytes, sha256: hash.digest('hex') };
}

function localPath(url: string): string | null {
  if (url.startsWith('file:')) return fileURLToPath(url);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return null;
  return existsSync(url) ? path.resolve(url) : null;
}

/** The useful part of undici's "fetch failed": ECONNREFUSED, ENOTFOUND, a TLS complaint... */
function networkReason(e: unknown): string {
  const err = e as { message?: string; code?: string; cause?: unknown };
  const cause = err?.cause as { code?: string; message?: string; errors?: { code?: string; message?: string }[] } | undefined;
  const inner = cause?.errors?.[0] ?? cause;
  const parts = [inner?.code ?? err?.code, inner?.message ?? err?.message].filter((s): s is string => !!s);
  return [...new Set(parts)].join(' ') || String(e);
}

type EntryVerdict = 'skip' | 'take' | 'refuse';

/**
 * Which archive entries are data: `<top>/<folder>/<data root>/...`, regular files and folders.
 * Everything else in the repository archive (code, papers, results) is skipped; a link or
 * device node inside the data is refused, since a link could point a fixture outside the tree.
 */
function classifyEntry(p: string, type: string, manifest: Manifest): { verdict: EntryVerdict; top?: string; rel?: string } {
  const parts = p.split('/').filter((s) => s && s !== '.');
  const depth = manifest.folder ? 2 : 1;
  if (parts.length <= depth || (manifest.folder && parts[1] !== manifest.folder)) return { verdict: 'skip' };
  const rel = parts.slice(depth).join('/');
  if (!isDataPath(rel, manifest) || isJunkFile(parts[parts.length - 1]!, manifest)) return { verdict: 'skip' };
  const regular = type === 'File' || type === 'OldFile' || type === 'Directory';
  return { verdict: regular ? 'take' : 'refuse', top: parts[0]!, rel };
}

/**
 * Read the whole archive once without writing anything, then unpack the data. The dry pass
 * means a corrupt or truncated download fails before any file is written, so extraction
 * never stops half-way with writes still in flight.
 */
async function extractDataFolder(archive: string, into: string, manifest: Manifest, url: string): Promise<string> {
  const tops = new Set<string>();
  const refused: string[] = [];
  try {
    await tar.t({
      file: archive,
      strict: true,
      onReadEntry: (entry) => {
        const c = classifyEntry(entry.path, entry.type, manifest);
        if (c.verdict === 'refuse') refused.push(`${c.rel} (${entry.type})`);
        if (c.top) tops.add(c.top);
      },
    });
  } catch (e) {
    throw new UserError(`${url}: not a readable .tar.gz archive: ${(e as Error).message.split('\n')[0]}`);
  }
  if (refused.length) throw new UserError(`${url}: archive holds a non-regular file in the data: ${refused[0]}; nothing was installed`);
  if (tops.size === 0) {
    const where = manifest.dataRoots.map((r) => (manifest.folder ? `${manifest.folder}/${r}` : r)).join(' or ');
    throw new UserError(`${url}: archive has no ${where} under its top folder`);
  }
  if (tops.size > 1) throw new UserError(`${url}: archive has several top folders (${[...tops].join(', ')}); expected one`);

  await mkdir(into, { recursive: true });
  await tar.x({
    file: archive,
    cwd: into,
    strict: true,
    preserveOwner: false,
    filter: (p, entry) => classifyEntry(p, 'type' in entry ? entry.type : 'File', manifest).verdict === 'take',
  });
  return path.join(into, [...tops][0]!, manifest.folder);
}

/**
 * Put the verified folder at `dest`. A folder cannot be renamed over a non-empty one, so an
 * old install is first moved aside and put back if the second rename fails.
 */
async function swapInto(ready: string, dest: string): Promise<void> {
  if (!existsSync(dest)) {
    await rename(ready, dest);
    return;
  }
  const aside = `${dest}.old-${process.pid}-${Date.now()}`;
  await rename(dest, aside);
  try {
    await rename(ready, dest);
  } catch (e) {
    await rename(aside, dest);
    throw e;
  }
  await rm(aside, { recursive: true, force: true });
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
