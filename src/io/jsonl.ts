/**
 * The only JSONL and JSON readers in the project. Every problem is a `FileError` (a
 * UserError) with a one-line message:
 *
 *   FILE: no such file                     FILE: is a directory, not a file
 *   FILE:LINE: invalid UTF-8               FILE:LINE: invalid JSON (PARSER MESSAGE)
 *   FILE:LINE: FIELD: PROBLEM              (FIELD is zod's path joined by '.', "(line)" when whole)
 *   FILE:LINE: last line is incomplete (no newline at the end)      (tornTail: 'error')
 *
 * API
 * - `readJsonl(file, schema, opts?)`: async generator of entries, streaming in fixed-size
 *   chunks (memory does not grow with the file). Each entry has `line` (1-based physical
 *   line), `start` (byte offset of the line) and `bytes` (byte offset just past its newline,
 *   i.e. where the next line starts: truncating to it keeps this line and drops the rest).
 *   Normal entries are `{ kind: 'value', value }`. Blank lines are skipped but counted.
 * - `readJsonlSync(file, schema, opts?)`: the same as a synchronous generator.
 * - `readJsonlFile` / `readJsonlFileSync`: the value entries collected into an array.
 * - `readJsonFile(file, schema)` / `readJsonFileSync`: one JSON document (a BOM is allowed);
 *   errors as `FILE: FIELD: PROBLEM` with "(file)" for the whole document.
 * - `parseJsonText(text, schema, where, whole?)`: one JSON text + schema check, same wording.
 * - `readJsonlLineSync(file, at, schema)`: one line again, by the `start` and `bytes` an
 *   earlier read gave it (a viewer keeps offsets, not lines).
 * - `countLinesSync(file, opts?)`: how many complete non-blank lines, and where they end.
 *
 * Options
 * - `tornTail`: what a last line without its newline means.
 *   'parse' (default): an ordinary line (files written by hand or by other tools often end so);
 *     if it fails to parse, the error says it may have been cut short.
 *   'error': the file must end with a newline.
 *   'report': yield `{ kind: 'torn', line, start, bytes }` instead of parsing it, so a
 *     resuming writer can truncate the file to `start` (a write cut short by a kill).
 *     A tail of spaces only is not torn; it is skipped like a blank line.
 * - `invalid`: 'error' (default) or 'report': yield `{ kind: 'invalid', line, start, bytes,
 *   problem }` (problem: the full one-line message) and go on, for callers that stop at the
 *   first line they cannot reuse rather than fail.
 * - `from: { offset, line }`: read on from an earlier read's stop, a line start (an entry's
 *   `bytes`); line numbers go on from `line`. `to`: read no byte at or past it (a size taken
 *   earlier, so a file that grows is read in steps; a line cut at `to` is torn).
 * - `noFollow`: refuse a symlink as the file itself (for files in folders that model output
 *   or other users can write to).
 *
 * A byte-order mark is accepted at the start of the file only. Lines may end in CRLF.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import type { z } from 'zod';
import { FileError, fsReason, issueLine, errnoCode } from './errors.js';

export interface JsonlValue<T> {
  kind: 'value';
  line: number;
  start: number;
  bytes: number;
  value: T;
}
export interface JsonlTorn {
  kind: 'torn';
  line: number;
  start: number;
  bytes: number;
}
export interface JsonlInvalid {
  kind: 'invalid';
  line: number;
  start: number;
  bytes: number;
  problem: string;
}
export type JsonlEntry<T> = JsonlValue<T> | JsonlTorn | JsonlInvalid;

export interface ReadJsonlOptions {
  tornTail?: 'parse' | 'error' | 'report';
  invalid?: 'error' | 'report';
  /** Bytes per read (default 64 KiB). */
  chunkSize?: number;
  /** Where an earlier read stopped: the byte offset of a line start, and the line before it. */
  from?: { offset: number; line: number };
  /** Read no byte at or past this offset. */
  to?: number;
  noFollow?: boolean;
}

/**
 * The entry kinds a call can yield, from the options it was given: torn and invalid entries
 * only where the option's type admits 'report' (a literal `{ tornTail: 'report' }`, or a
 * variable typed ReadJsonlOptions), so callers that never asked for them need not check.
 */
type Reports<O, K extends string, E> = K extends keyof O ? ('report' extends O[K] ? E : never) : never;
export type EntryFor<T, O> = JsonlValue<T> | Reports<O, 'tornTail', JsonlTorn> | Reports<O, 'invalid', JsonlInvalid>;

const DEFAULT_CHUNK = 64 * 1024;
const NEWLINE = 0x0a;
const TORN_NOTE = '; it is the last line and has no newline, so it may have been cut short';

interface RawLine {
  line: number;
  start: number;
  end: number;
  data: Buffer;
  terminated: boolean;
}

/**
 * Splits a byte stream on '\n'. Works on bytes, not text: a newline byte never occurs inside
 * a UTF-8 multi-byte sequence, and decoding per line lets invalid UTF-8 be reported with its
 * line number instead of being replaced. Chunks must not be reused by the caller.
 */
class LineSplitter {
  private parts: Buffer[] = [];
  private partsLength = 0;

  constructor(
    private offset = 0,
    private lineNo = 0,
  ) {}

  /** The lines a chunk completes; an array, not a generator: this runs once per line of every file read. */
  push(chunk: Buffer): RawLine[] {
    const lines: RawLine[] = [];
    let pos = 0;
    for (;;) {
      const nl = chunk.indexOf(NEWLINE, pos);
      if (nl < 0) break;
      const piece = chunk.subarray(pos, nl);
      // A long line spanning many chunks is joined once, not once per chunk.
      const data = this.parts.length ? Buffer.concat([...this.parts, piece]) : piece;
      this.parts = [];
      this.partsLength = 0;
      const start = this.offset;
      this.offset += data.length + 1;
      lines.push({ line: ++this.lineNo, start, end: this.offset, data, terminated: true });
      pos = nl + 1;
    }
    if (pos < chunk.length) {
      const rest = chunk.subarray(pos);
      this.parts.push(rest);
      this.partsLength += rest.length;
    }
    return lines;
  }

  end(): RawLine | null {
    if (!this.partsLength) return null;
    const data = Buffer.concat(this.parts);
    this.parts = [];
    this.partsLength = 0;
    const start = this.offset;
    this.offset += data.length;
    return { line: ++this.lineNo, start, end: this.offset, data, terminated: false };
  }
}

function isBlank(data: Buffer): boolean {
  for (let i = 0; i < data.length; i++) {
    const b = data[i];
    if (b !== 0x20 && b !== 0x09 && b !== 0x0d) return false;
  }
  return true;
}

// ignoreBOM keeps a U+FEFF in the text so that only the file's first line may drop it.
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The text of valid UTF-8, null for invalid bytes. Node's own decoder is the fast path; it
 * replaces invalid bytes by U+FFFD, so only text holding one (rare) is decoded again strictly
 * to tell a real U+FFFD from a replaced byte.
 */
export function decodeUtf8(data: Buffer): string | null {
  const text = data.toString('utf8');
  if (!text.includes('\uFFFD')) return text;
  try {
    return decoder.decode(data);
  } catch {
    return null;
  }
}

/** Option rewriteJsonl uses to get each value line's text, so kept lines are copied as they were. */
export const KEEP_TEXT = Symbol('keepText');
type InternalOptions = ReadJsonlOptions & { [KEEP_TEXT]?: boolean };
export type WithText<T> = JsonlEntry<T> & { text?: string };

/** One raw line → an entry, or null to skip it; throws when options say a problem is fatal. */
// No closures or spreads here: this runs once per line of every file the tool reads.
function processLine<T>(file: string, raw: RawLine, schema: z.ZodType<T>, opts: InternalOptions): WithText<T> | null {
  if (isBlank(raw.data)) return null;
  const torn = !raw.terminated;
  const tornMode = opts.tornTail ?? 'parse';
  if (torn && tornMode === 'report') return { kind: 'torn', line: raw.line, start: raw.start, bytes: raw.end };
  const where = `${file}:${raw.line}`;
  if (torn && tornMode === 'error') {
    throw new FileError(`${where}: last line is incomplete (no newline at the end)`, file, raw.line);
  }
  const note = torn ? TORN_NOTE : '';
  let text = decodeUtf8(raw.data);
  if (text === null) return invalidLine(file, raw, `${where}: invalid UTF-8${note}`, opts);
  if (raw.start === 0 && text.charCodeAt(0) === 0xfeff) {
    text = text.slice(1);
    if (!text.trim()) return null;
  }
  const parsed = parseLine(text, schema, where);
  if (!parsed.ok) return invalidLine(file, raw, `${parsed.problem}${parsed.json ? '' : note}`, opts);
  const entry: WithText<T> = { kind: 'value', line: raw.line, start: raw.start, bytes: raw.end, value: parsed.value };
  if (opts[KEEP_TEXT]) entry.text = text;
  return entry;
}

/** A line that does not parse: an entry with `invalid: 'report'`, else the error. */
function invalidLine(file: string, raw: RawLine, problem: string, opts: ReadJsonlOptions): JsonlInvalid {
  if (opts.invalid === 'report') return { kind: 'invalid', line: raw.line, start: raw.start, bytes: raw.end, problem };
  throw new FileError(problem, file, raw.line);
}

type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string; json: boolean };

function parseLine<T>(text: string, schema: z.ZodType<T>, where: string, whole = '(line)'): Parsed<T> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return { ok: false, problem: `${where}: invalid JSON (${(e as Error).message})`, json: false };
  }
  const result = schema.safeParse(json);
  if (!result.success) return { ok: false, problem: issueLine(where, result.error, whole), json: true };
  return { ok: true, value: result.data };
}

/**
 * Parse one JSON text (a line, a server's answer) against a schema, with the readers' wording;
 * `where` starts the message ("file:12", "http://127.0.0.1:8000/v1"), `whole` names the
 * field when the whole value is at fault.
 */
export function parseJsonText<T>(text: string, schema: z.ZodType<T>, where: string, whole = '(line)'): T {
  const parsed = parseLine(text, schema, where, whole);
  if (!parsed.ok) throw new FileError(parsed.problem, where);
  return parsed.value;
}

function openError(file: string, e: unknown): FileError {
  const code = errnoCode(e);
  if (code === 'ENOENT') return new FileError(`${file}: no such file`, file);
  if (code === 'EISDIR') return new FileError(`${file}: is a directory, not a file`, file);
  return new FileError(`${file}: cannot read: ${fsReason(e)}`, file);
}

function readError(file: string, e: unknown): FileError {
  if (errnoCode(e) === 'EISDIR') return new FileError(`${file}: is a directory, not a file`, file);
  return new FileError(`${file}: cannot read: ${fsReason(e)}`, file);
}

/** The entries of one chunk read from the file, or (chunk null, at the end) of its last line; both readers use it. */
function* chunkEntries<T>(
  file: string,
  splitter: LineSplitter,
  chunk: Buffer | null,
  schema: z.ZodType<T>,
  opts: InternalOptions,
): Generator<WithText<T>> {
  for (const raw of chunk ? splitter.push(chunk) : [splitter.end()]) {
    const entry = raw && processLine(file, raw, schema, opts);
    if (entry) yield entry;
  }
}

/** The reader behind readJsonl; with KEEP_TEXT, value entries carry their line's text. */
export async function* scanJsonl<T>(file: string, schema: z.ZodType<T>, opts: InternalOptions = {}): AsyncGenerator<WithText<T>> {
  let fh: FileHandle;
  try {
    fh = await open(file, openFlags(opts));
  } catch (e) {
    throw openError(file, e);
  }
  try {
    try {
      if ((await fh.stat()).isDirectory()) throw new FileError(`${file}: is a directory, not a file`, file);
    } catch (e) {
      if (e instanceof FileError) throw e;
      throw readError(file, e);
    }
    const size = opts.chunkSize ?? DEFAULT_CHUNK;
    const { to, splitter } = span(opts);
    let pos = opts.from?.offset ?? 0;
    while (pos < to) {
      // A fresh buffer per read: the splitter keeps slices of earlier chunks.
      const want = Math.min(size, to - pos);
      const buf = Buffer.allocUnsafe(want);
      let n: number;
      try {
        ({ bytesRead: n } = await fh.read(buf, 0, want, pos));
      } catch (e) {
        throw readError(file, e);
      }
      if (n === 0) break;
      pos += n;
      yield* chunkEntries(file, splitter, buf.subarray(0, n), schema, opts);
    }
    yield* chunkEntries(file, splitter, null, schema, opts);
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/** Where to stop, and the splitter numbering lines from where to start. */
function span(opts: ReadJsonlOptions): { to: number; splitter: LineSplitter } {
  return { to: opts.to ?? Infinity, splitter: new LineSplitter(opts.from?.offset ?? 0, opts.from?.line ?? 0) };
}

const openFlags = (opts: ReadJsonlOptions) => constants.O_RDONLY | (opts.noFollow ? constants.O_NOFOLLOW : 0);

export function* scanJsonlSync<T>(file: string, schema: z.ZodType<T>, opts: InternalOptions = {}): Generator<WithText<T>> {
  const fd = openSyncChecked(file, opts);
  try {
    const size = opts.chunkSize ?? DEFAULT_CHUNK;
    const { to, splitter } = span(opts);
    let pos = opts.from?.offset ?? 0;
    while (pos < to) {
      const want = Math.min(size, to - pos);
      const buf = Buffer.allocUnsafe(want);
      let n: number;
      try {
        n = readSync(fd, buf, 0, want, pos);
      } catch (e) {
        throw readError(file, e);
      }
      if (n === 0) break;
      pos += n;
      yield* chunkEntries(file, splitter, buf.subarray(0, n), schema, opts);
    }
    yield* chunkEntries(file, splitter, null, schema, opts);
  } finally {
    closeSync(fd);
  }
}

export function readJsonl<T, O extends ReadJsonlOptions = Record<never, never>>(
  file: string,
  schema: z.ZodType<T>,
  opts?: O,
): AsyncGenerator<EntryFor<T, O>> {
  // The options say which kinds can occur; EntryFor narrows the type to those.
  return scanJsonl(file, schema, { ...opts, [KEEP_TEXT]: false }) as AsyncGenerator<EntryFor<T, O>>;
}

export function readJsonlSync<T, O extends ReadJsonlOptions = Record<never, never>>(
  file: string,
  schema: z.ZodType<T>,
  opts?: O,
): Generator<EntryFor<T, O>> {
  return scanJsonlSync(file, schema, { ...opts, [KEEP_TEXT]: false }) as Generator<EntryFor<T, O>>;
}

type CollectOptions = Omit<ReadJsonlOptions, 'tornTail' | 'invalid'> & { tornTail?: 'parse' | 'error' };

/** Every line of a small file; the same errors as readJsonl. */
export async function readJsonlFile<T>(file: string, schema: z.ZodType<T>, opts: CollectOptions = {}): Promise<JsonlValue<T>[]> {
  const out: JsonlValue<T>[] = [];
  for await (const entry of readJsonl(file, schema, opts)) out.push(entry);
  return out;
}

export function readJsonlFileSync<T>(file: string, schema: z.ZodType<T>, opts: CollectOptions = {}): JsonlValue<T>[] {
  return [...readJsonlSync(file, schema, opts)];
}

/** Opens for reading with the readers' errors; the caller closes. */
function openSyncChecked(file: string, opts: Pick<ReadJsonlOptions, 'noFollow'>): number {
  let fd: number;
  try {
    fd = openSync(file, openFlags(opts));
  } catch (e) {
    throw openError(file, e);
  }
  try {
    if (fstatSync(fd).isDirectory()) throw new FileError(`${file}: is a directory, not a file`, file);
  } catch (e) {
    closeSync(fd);
    throw e instanceof FileError ? e : readError(file, e);
  }
  return fd;
}

/**
 * One line read again by the `start` and `bytes` an earlier read gave its entry. Errors say
 * `FILE: byte START: ...`, since the line number is not known here.
 */
export function readJsonlLineSync<T>(file: string, at: { start: number; bytes: number }, schema: z.ZodType<T>, opts: Pick<ReadJsonlOptions, 'noFollow'> = {}): T {
  const fd = openSyncChecked(file, opts);
  const where = `${file}: byte ${at.start}`;
  let data: Buffer;
  try {
    const buf = Buffer.allocUnsafe(at.bytes - at.start);
    const n = readSync(fd, buf, 0, buf.length, at.start);
    data = buf.subarray(0, n);
  } catch (e) {
    throw readError(file, e);
  } finally {
    closeSync(fd);
  }
  const text = decodeUtf8(data);
  if (text === null) throw new FileError(`${where}: invalid UTF-8`, file);
  return parseJsonText(text, schema, where);
}

/**
 * Complete non-blank lines from `from.offset` (0) up to `to` (the end), without parsing them,
 * and the offset just past the last complete line, where the next count starts. A last line
 * without its newline is not counted: it may still be being written.
 */
export function countLinesSync(file: string, opts: Pick<ReadJsonlOptions, 'from' | 'to' | 'noFollow' | 'chunkSize'> = {}): { lines: number; bytes: number } {
  const fd = openSyncChecked(file, opts);
  const start = opts.from?.offset ?? 0;
  const to = opts.to ?? Infinity;
  const size = opts.chunkSize ?? DEFAULT_CHUNK;
  const buf = Buffer.allocUnsafe(size);
  let lines = 0;
  let bytes = start;
  // Whether the line being scanned has a non-blank byte yet (it may span chunks).
  let filled = false;
  try {
    for (let pos = start; pos < to; ) {
      let n: number;
      try {
        n = readSync(fd, buf, 0, Math.min(size, to - pos), pos);
      } catch (e) {
        throw readError(file, e);
      }
      if (n === 0) break;
      let i = 0;
      while (i < n) {
        const nl = buf.indexOf(NEWLINE, i);
        const end = nl < 0 || nl >= n ? n : nl;
        // Usually the first byte of a line already decides it.
        for (let j = i; !filled && j < end; j++) filled = buf[j] !== 0x20 && buf[j] !== 0x09 && buf[j] !== 0x0d;
        if (end === n) break;
        if (filled) lines++;
        filled = false;
        bytes = pos + nl + 1;
        i = nl + 1;
      }
      pos += n;
    }
  } finally {
    closeSync(fd);
  }
  return { lines, bytes };
}

function parseJsonDocument<T>(file: string, data: Buffer, schema: z.ZodType<T>): T {
  let text = decodeUtf8(data);
  if (text === null) throw new FileError(`${file}: invalid UTF-8`, file);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const parsed = parseLine(text, schema, file, '(file)');
  if (!parsed.ok) throw new FileError(parsed.problem, file);
  return parsed.value;
}

/** One JSON document (validation.json and the like), checked against a schema. */
export async function readJsonFile<T>(file: string, schema: z.ZodType<T>): Promise<T> {
  let fh: FileHandle;
  try {
    fh = await open(file, 'r');
  } catch (e) {
    throw openError(file, e);
  }
  let data: Buffer;
  try {
    if ((await fh.stat()).isDirectory()) throw new FileError(`${file}: is a directory, not a file`, file);
    data = await fh.readFile();
  } catch (e) {
    if (e instanceof FileError) throw e;
    throw readError(file, e);
  } finally {
    await fh.close().catch(() => undefined);
  }
  return parseJsonDocument(file, data, schema);
}

export function readJsonFileSync<T>(file: string, schema: z.ZodType<T>): T {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw openError(file, e);
  }
  let data: Buffer;
  try {
    if (fstatSync(fd).isDirectory()) throw new FileError(`${file}: is a directory, not a file`, file);
    const chunks: Buffer[] = [];
    for (;;) {
      const buf = Buffer.allocUnsafe(DEFAULT_CHUNK);
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      chunks.push(buf.subarray(0, n));
    }
    data = Buffer.concat(chunks);
  } catch (e) {
    if (e instanceof FileError) throw e;
    throw readError(file, e);
  } finally {
    closeSync(fd);
  }
  return parseJsonDocument(file, data, schema);
}
