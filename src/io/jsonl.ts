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
 *
 * A byte-order mark is accepted at the start of the file only. Lines may end in CRLF.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
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
  /** Bytes per read; only tests need to change it. */
  chunkSize?: number;
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
  private offset = 0;
  private lineNo = 0;

  *push(chunk: Buffer): Generator<RawLine> {
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
      yield { line: ++this.lineNo, start, end: this.offset, data, terminated: true };
      pos = nl + 1;
    }
    if (pos < chunk.length) {
      const rest = chunk.subarray(pos);
      this.parts.push(rest);
      this.partsLength += rest.length;
    }
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
  for (const b of data) if (b !== 0x20 && b !== 0x09 && b !== 0x0d) return false;
  return true;
}

// ignoreBOM keeps a U+FEFF in the text so that only the file's first line may drop it.
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function decodeUtf8(data: Uint8Array): string | null {
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
function processLine<T>(file: string, raw: RawLine, schema: z.ZodType<T>, opts: InternalOptions): WithText<T> | null {
  if (isBlank(raw.data)) return null;
  const where = `${file}:${raw.line}`;
  const pos = { line: raw.line, start: raw.start, bytes: raw.end };
  const torn = !raw.terminated;
  const tornMode = opts.tornTail ?? 'parse';
  if (torn && tornMode === 'report') return { kind: 'torn', ...pos };
  if (torn && tornMode === 'error') {
    throw new FileError(`${where}: last line is incomplete (no newline at the end)`, file, raw.line);
  }
  const note = torn ? TORN_NOTE : '';
  const fail = (problem: string): JsonlInvalid => {
    if (opts.invalid === 'report') return { kind: 'invalid', ...pos, problem };
    throw new FileError(problem, file, raw.line);
  };
  let text = decodeUtf8(raw.data);
  if (text === null) return fail(`${where}: invalid UTF-8${note}`);
  if (raw.start === 0 && text.charCodeAt(0) === 0xfeff) {
    text = text.slice(1);
    if (!text.trim()) return null;
  }
  const parsed = parseLine(text, schema, where);
  if (!parsed.ok) return fail(`${parsed.problem}${parsed.json ? '' : note}`);
  const entry: WithText<T> = { kind: 'value', ...pos, value: parsed.value };
  if (opts[KEEP_TEXT]) entry.text = text;
  return entry;
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
    fh = await open(file, 'r');
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
    const splitter = new LineSplitter();
    for (;;) {
      // A fresh buffer per read: the splitter keeps slices of earlier chunks.
      const buf = Buffer.allocUnsafe(size);
      let n: number;
      try {
        ({ bytesRead: n } = await fh.read(buf, 0, size, null));
      } catch (e) {
        throw readError(file, e);
      }
      if (n === 0) break;
      yield* chunkEntries(file, splitter, buf.subarray(0, n), schema, opts);
    }
    yield* chunkEntries(file, splitter, null, schema, opts);
  } finally {
    await fh.close().catch(() => undefined);
  }
}

export function* scanJsonlSync<T>(file: string, schema: z.ZodType<T>, opts: InternalOptions = {}): Generator<WithText<T>> {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw openError(file, e);
  }
  try {
    try {
      if (fstatSync(fd).isDirectory()) throw new FileError(`${file}: is a directory, not a file`, file);
    } catch (e) {
      if (e instanceof FileError) throw e;
      throw readError(file, e);
    }
    const size = opts.chunkSize ?? DEFAULT_CHUNK;
    const splitter = new LineSplitter();
    for (;;) {
      const buf = Buffer.allocUnsafe(size);
      let n: number;
      try {
        n = readSync(fd, buf, 0, size, null);
      } catch (e) {
        throw readError(file, e);
      }
      if (n === 0) break;
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
