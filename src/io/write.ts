/**
 * The only ways the project writes its outputs: whole files replaced in one rename, or JSONL
 * files appended to one whole line at a time. File-system failures become a FileError (a
 * UserError) naming the file; errors thrown by the caller's own content are passed on as
 * they are. Either way nothing already on disk is damaged.
 *
 * - `writeFileAtomic(file, content, opts?)` (async; content: string, bytes, or a sync or async
 *   iterable of strings) and `writeFileAtomicSync(file, content, opts?)`: written to a
 *   temporary file in the same folder (`.NAME.PID.RANDOM.tmp`), flushed to disk, renamed over
 *   `file`. On any failure the temporary file is removed and an earlier `file` stays as it
 *   was. A symlink at `file` is written through (its target is replaced). An existing file's
 *   permission bits are kept. Options: `mkdir` (create a missing folder; by default a missing
 *   folder is an error), `fsync` (default true; a cache may turn it off), `flushEvery` (async
 *   only: start flushing in the background every so many bytes, for big files).
 * - `JsonlAppender<T>`: `new JsonlAppender(file)` opens for appending (creating the file);
 *   `append(value)` writes `JSON.stringify(value) + '\n'` in one write call, finishing short
 *   writes, and cuts the file back to the line's start if the write fails, so the file holds
 *   whole lines only (a kill mid-write can still leave one torn last line, which readers
 *   report with `tornTail: 'report'`). It refuses to open a file whose last line has no
 *   newline: drop the torn tail first (`truncateFile`). `close()` flushes to disk.
 * - `truncateFile(file, bytes)`: cut a file to `bytes` (never lengthens it).
 * - `rewriteJsonl(file, schema, keep, opts?)` / `rewriteJsonlSync`: keep only the lines for
 *   which `keep(value, entry)` is true, byte for byte, by temporary file and rename. The file
 *   is not touched when every line is kept. Returns `{ kept, dropped }`.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fchmodSync,
  fstatSync,
  fsyncSync,
  fdatasync,
  ftruncateSync,
  openSync,
  readSync,
  renameSync,
  statSync,
  truncateSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { errnoCode, FileError, fsReason, isFsError } from './errors.js';
import { KEEP_TEXT, scanJsonl, scanJsonlSync, type JsonlValue, type WithText } from './jsonl.js';
import { createFolder, createFolderError, realTarget } from './paths.js';

export interface AtomicWriteOptions {
  /** Create the folder (and parents) when it is missing. Default false: a missing folder is an error. */
  mkdir?: boolean;
  /** Flush file and folder to disk before returning. Default true. */
  fsync?: boolean;
  /**
   * writeFileAtomic only: every this many bytes, start flushing what is written so far in
   * the background, so a big file's final flush does not wait for all of it at once.
   */
  flushEvery?: number;
}

export type AtomicContent = string | Uint8Array | Iterable<string | Uint8Array>;

function writeAll(fd: number, data: Uint8Array): void {
  let off = 0;
  // writeSync may write less than asked (a signal, a nearly full disk); finish or throw.
  while (off < data.length) off += writeSync(fd, data, off, data.length - off);
}

function toBytes(chunk: string | Uint8Array): Uint8Array {
  return typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
}

function fsyncFolder(dir: string): void {
  // Makes the rename itself durable; some file systems refuse to open or sync a folder.
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // best effort
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** A temporary file that becomes `file` on commit() and disappears on abort(). */
class AtomicFile {
  private fd: number | undefined;
  private unflushed = 0;
  private flushing: Promise<void> | null = null;
  readonly target: string;
  readonly tmp: string;

  constructor(
    readonly file: string,
    private readonly opts: AtomicWriteOptions = {},
  ) {
    this.target = realTarget(file);
    const dir = path.dirname(this.target);
    let mode: number | undefined;
    try {
      const st = statSync(this.target);
      if (st.isDirectory()) throw new FileError(`${file}: is a directory, not a file`, file);
      mode = st.mode & 0o7777;
    } catch (e) {
      if (e instanceof FileError) throw e;
      if (errnoCode(e) !== 'ENOENT' && errnoCode(e) !== 'ENOTDIR') throw new FileError(`${file}: cannot write: ${fsReason(e)}`, file);
    }
    if (opts.mkdir) {
      try {
        createFolder(dir);
      } catch (e) {
        throw new FileError(`${file}: ${createFolderError(e, dir)}`, file);
      }
    }
    // Shortened so a long name plus the suffix stays within the 255-byte name limit.
    const base = path.basename(this.target).slice(0, 200);
    this.tmp = path.join(dir, `.${base}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      this.fd = openSync(this.tmp, 'wx', 0o666);
      if (mode !== undefined) fchmodSync(this.fd, mode);
    } catch (e) {
      this.abort();
      if (errnoCode(e) === 'ENOENT' && !existsSync(dir)) {
        throw new FileError(`${file}: folder ${path.dirname(file)} does not exist`, file);
      }
      throw new FileError(`${file}: cannot write: ${fsReason(e)}`, file);
    }
  }

  write(chunk: string | Uint8Array): void {
    if (this.fd === undefined) throw new Error(`${this.file}: write after commit or abort`);
    const bytes = toBytes(chunk);
    try {
      writeAll(this.fd, bytes);
    } catch (e) {
      throw new FileError(`${this.file}: cannot write: ${fsReason(e)}`, this.file);
    }
    this.unflushed += bytes.length;
    const every = this.opts.flushEvery;
    if (every && this.unflushed >= every && !this.flushing && this.opts.fsync !== false) {
      this.unflushed = 0;
      const fd = this.fd;
      // Only a head start for commit()'s fsync, which still runs and reports any failure.
      this.flushing = new Promise<void>((resolve) => fdatasync(fd, () => resolve())).then(() => {
        this.flushing = null;
      });
    }
  }

  /** Waits for a background flush, so that the descriptor is not closed under it. */
  async settle(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  commit(): void {
    if (this.fd === undefined) throw new Error(`${this.file}: commit after commit or abort`);
    try {
      if (this.opts.fsync !== false) fsyncSync(this.fd);
      const fd = this.fd;
      this.fd = undefined;
      closeSync(fd);
      renameSync(this.tmp, this.target);
    } catch (e) {
      this.abort();
      throw new FileError(`${this.file}: cannot write: ${fsReason(e)}`, this.file);
    }
    if (this.opts.fsync !== false) fsyncFolder(path.dirname(this.target));
  }

  abort(): void {
    if (this.fd !== undefined) {
      try {
        closeSync(this.fd);
      } catch {
        // already unusable; removing the file is what matters
      }
      this.fd = undefined;
    }
    try {
      unlinkSync(this.tmp);
    } catch {
      // never created, or already renamed
    }
  }
}

/** Runs `fill`, committing on success; any failure (ours or the caller's) removes the temporary file. */
function withAtomicFile<R>(file: string, opts: AtomicWriteOptions | undefined, fill: (out: AtomicFile) => R): R {
  // A synchronous writer cannot wait for a background flush.
  const out = new AtomicFile(file, { ...opts, flushEvery: undefined });
  try {
    const r = fill(out);
    out.commit();
    return r;
  } catch (e) {
    out.abort();
    throw e;
  }
}

export function writeFileAtomicSync(file: string, content: AtomicContent, opts?: AtomicWriteOptions): void {
  withAtomicFile(file, opts, (out) => {
    if (typeof content === 'string' || content instanceof Uint8Array) out.write(content);
    else for (const chunk of content) out.write(chunk);
  });
}

export async function writeFileAtomic(
  file: string,
  content: AtomicContent | AsyncIterable<string | Uint8Array>,
  opts?: AtomicWriteOptions,
): Promise<void> {
  const out = new AtomicFile(file, opts);
  try {
    if (typeof content === 'string' || content instanceof Uint8Array) out.write(content);
    else if (Symbol.asyncIterator in content) for await (const chunk of content) out.write(chunk);
    else for (const chunk of content) out.write(chunk);
    await out.settle();
    out.commit();
  } catch (e) {
    await out.settle();
    out.abort();
    throw e;
  }
}

export function truncateFile(file: string, bytes: number): void {
  if (!Number.isSafeInteger(bytes) || bytes < 0) throw new Error(`truncateFile: bad length ${bytes}`);
  let size: number;
  try {
    size = statSync(file).size;
  } catch (e) {
    throw new FileError(`${file}: cannot truncate: ${fsReason(e)}`, file);
  }
  if (bytes > size) throw new FileError(`${file}: cannot truncate to ${bytes} bytes: it holds only ${size}`, file);
  if (bytes === size) return;
  try {
    truncateSync(file, bytes);
  } catch (e) {
    throw new FileError(`${file}: cannot truncate: ${fsReason(e)}`, file);
  }
}

export class JsonlAppender<T = unknown> {
  private fd: number | undefined;
  private size: number;
  private failed: string | null = null;

  constructor(readonly file: string) {
    let fd: number;
    try {
      // 'a+' rather than 'a': the last byte must be readable to check for a torn tail.
      fd = openSync(file, 'a+');
    } catch (e) {
      const code = errnoCode(e);
      if (code === 'EISDIR') throw new FileError(`${file}: is a directory, not a file`, file);
      if (code === 'ENOENT' && !existsSync(path.dirname(file))) {
        throw new FileError(`${file}: folder ${path.dirname(file)} does not exist`, file);
      }
      throw new FileError(`${file}: cannot open for appending: ${fsReason(e)}`, file);
    }
    try {
      this.size = fstatSync(fd).size;
      if (this.size > 0) {
        const last = Buffer.alloc(1);
        readSync(fd, last, 0, 1, this.size - 1);
        if (last[0] !== 0x0a) {
          throw new FileError(`${file}: ends with an incomplete line (no newline); refusing to append after it`, file);
        }
      }
    } catch (e) {
      closeSync(fd);
      if (e instanceof FileError) throw e;
      throw new FileError(`${file}: cannot open for appending: ${fsReason(e)}`, file);
    }
    this.fd = fd;
  }

  /** Bytes in the file, as far as this appender knows (it must be the only writer). */
  get bytes(): number {
    return this.size;
  }

  append(value: T): void {
    if (this.fd === undefined) throw new Error(`${this.file}: append after close`);
    if (this.failed) throw new FileError(this.failed, this.file);
    const text = JSON.stringify(value);
    if (typeof text !== 'string') throw new Error(`${this.file}: cannot append a value JSON cannot represent`);
    const data = Buffer.from(`${text}\n`, 'utf8');
    try {
      writeAll(this.fd, data);
    } catch (e) {
      if (!isFsError(e)) throw e;
      let message = `${this.file}: cannot append: ${fsReason(e)}`;
      try {
        ftruncateSync(this.fd, this.size);
      } catch {
        // The torn line stays; readers and the next run's resume drop it.
        message += '; its last line may be incomplete';
      }
      this.failed = message;
      throw new FileError(message, this.file);
    }
    this.size += data.length;
  }

  /** Flush what was appended to disk (also done by close()). */
  sync(): void {
    if (this.fd === undefined) return;
    try {
      fsyncSync(this.fd);
    } catch (e) {
      throw new FileError(`${this.file}: cannot write: ${fsReason(e)}`, this.file);
    }
  }

  close(): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    try {
      this.sync();
    } finally {
      this.fd = undefined;
      closeSync(fd);
    }
  }
}

export interface RewriteOptions extends AtomicWriteOptions {
  tornTail?: 'parse' | 'error';
}

export interface RewriteResult {
  kept: number;
  dropped: number;
}

function keepStep<T>(out: AtomicFile, step: WithText<T>, keep: (value: T, entry: JsonlValue<T>) => boolean, counts: RewriteResult): void {
  // With the options rewrite passes, only value entries reach here.
  const { text, ...entry } = step as JsonlValue<T> & { text: string };
  if (keep(entry.value, entry)) {
    out.write(`${text}\n`);
    counts.kept++;
  } else {
    counts.dropped++;
  }
}

export function rewriteJsonlSync<T>(
  file: string,
  schema: z.ZodType<T>,
  keep: (value: T, entry: JsonlValue<T>) => boolean,
  opts: RewriteOptions = {},
): RewriteResult {
  const counts = { kept: 0, dropped: 0 };
  const out = new AtomicFile(file, opts);
  try {
    for (const step of scanJsonlSync(file, schema, { tornTail: opts.tornTail ?? 'parse', [KEEP_TEXT]: true })) keepStep(out, step, keep, counts);
    if (counts.dropped) out.commit();
    else out.abort();
  } catch (e) {
    out.abort();
    throw e;
  }
  return counts;
}

export async function rewriteJsonl<T>(
  file: string,
  schema: z.ZodType<T>,
  keep: (value: T, entry: JsonlValue<T>) => boolean,
  opts: RewriteOptions = {},
): Promise<RewriteResult> {
  const counts = { kept: 0, dropped: 0 };
  const out = new AtomicFile(file, opts);
  try {
    for await (const step of scanJsonl(file, schema, { tornTail: opts.tornTail ?? 'parse', [KEEP_TEXT]: true })) keepStep(out, step, keep, counts);
    if (counts.dropped) out.commit();
    else out.abort();
  } catch (e) {
    out.abort();
    throw e;
  }
  return counts;
}
