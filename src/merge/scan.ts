import { closeSync, openSync, readSync } from 'node:fs';
import { FileError } from '../io/errors.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const NEWLINE = 0x0a;

function isSpace(c: number | undefined): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
}

/** Index of the quote closing the JSON string that opens at `start`, or -1 before `end`. */
function stringEnd(b: Buffer, start: number, end: number): number {
  let from = start + 1;
  for (;;) {
    const q = b.indexOf(QUOTE, from);
    if (q < 0 || q >= end) return -1;
    let k = q - 1;
    while (b[k] === BACKSLASH) k--;
    // An even number of backslashes before it: the quote is not escaped.
    if ((q - 1 - k) % 2 === 0) return q;
    from = q + 1;
  }
}

/**
 * Which of `wanted` the member name whose quotes are at `open` and `close` is, or null; compared
 * byte by byte, since most names are not wanted and making a string of each would cost more
 * than the whole comparison. A name with an escape is decoded properly.
 */
function memberName(b: Buffer, open: number, close: number, wanted: readonly string[]): string | null {
  const len = close - open - 1;
  let escaped = false;
  for (let k = open + 1; k < close; k++) if (b[k] === BACKSLASH) escaped = true;
  if (escaped) {
    const name = JSON.parse(b.toString('utf8', open, close + 1)) as string;
    return wanted.includes(name) ? name : null;
  }
  outer: for (const w of wanted) {
    if (w.length !== len) continue;
    for (let k = 0; k < len; k++) if (b[open + 1 + k] !== w.charCodeAt(k)) continue outer;
    return w;
  }
  return null;
}

/**
 * The raw JSON text of some top-level members of the object on bytes [start, end), found
 * without decoding or parsing the rest of the line: a merge of hundreds of thousands of
 * result lines spends its time in their long program texts, which it only copies. Strings are
 * skipped by finding their closing quote (the bytes of a JSON string never hold a newline or an
 * unescaped quote); braces and brackets outside strings give the depth. Null when the bytes do
 * not look like one object; the caller then parses the line properly for its error.
 */
export function topLevelMembers(b: Buffer, start: number, end: number, wanted: readonly string[]): Map<string, string> | null {
  let i = start;
  while (i < end && isSpace(b[i])) i++;
  if (b[i] !== 0x7b) return null;
  const found = new Map<string, string>();
  let depth = 0;
  let expectKey = false;
  while (i < end) {
    const c = b[i]!;
    if (c === QUOTE) {
      const close = stringEnd(b, i, end);
      if (close < 0) return null;
      if (depth === 1 && expectKey) {
        expectKey = false;
        const name = memberName(b, i, close, wanted);
        let j = close + 1;
        while (j < end && isSpace(b[j])) j++;
        if (b[j] !== 0x3a) return null;
        j++;
        while (j < end && isSpace(b[j])) j++;
        if (name !== null) {
          let k: number;
          if (b[j] === QUOTE) {
            k = stringEnd(b, j, end);
            if (k < 0) return null;
            k++;
          } else {
            k = j;
            while (k < end && b[k] !== 0x2c && b[k] !== 0x7d && !isSpace(b[k])) k++;
          }
          found.set(name, b.toString('utf8', j, k));
          i = k;
        } else {
          i = j;
        }
        continue;
      }
      i = close + 1;
      continue;
    }
    if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth === 1) expectKey = true;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
      if (depth === 0) {
        i++;
        while (i < end && isSpace(b[i])) i++;
        return i === end ? found : null;
      }
    } else if (c === 0x2c && depth === 1) {
      expectKey = true;
    }
    i++;
  }
  return null;
}

export interface RawLine {
  /** 1-based physical line number. */
  line: number;
  /** Never reused: a line's bytes stay valid after the next one is read. */
  buf: Buffer;
  start: number;
  /** Index of the line's newline (or where its bytes end, for a torn last line). */
  end: number;
  terminated: boolean;
}

/** A file's lines as byte ranges of large read buffers. A UTF-8 byte-order mark at the very start is skipped. */
export function* rawLines(file: string, chunkSize = 8 << 20): Generator<RawLine> {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw new FileError(`${file}: cannot read: ${(e as Error).message}`, file);
  }
  try {
    let buf = Buffer.allocUnsafe(chunkSize);
    let have = 0;
    let lineNo = 0;
    let atStart = true;
    for (;;) {
      const n = readSync(fd, buf, have, buf.length - have, null);
      const limit = have + n;
      let pos = 0;
      if (atStart && limit >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) pos = 3;
      if (limit >= 3 || n === 0) atStart = false;
      if (n === 0) {
        if (limit > pos) yield { line: ++lineNo, buf, start: pos, end: limit, terminated: false };
        return;
      }
      for (;;) {
        const nl = buf.indexOf(NEWLINE, pos);
        if (nl < 0 || nl >= limit) break;
        yield { line: ++lineNo, buf, start: pos, end: nl, terminated: true };
        pos = nl + 1;
      }
      // The unfinished line moves to the front of a fresh buffer (twice as large if it filled this one).
      const rest = limit - pos;
      const next = Buffer.allocUnsafe(rest * 2 > chunkSize ? rest * 2 : chunkSize);
      buf.copy(next, 0, pos, limit);
      buf = next;
      have = rest;
    }
  } finally {
    closeSync(fd);
  }
}
