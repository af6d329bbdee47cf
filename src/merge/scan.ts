import { closeSync, openSync, readSync } from 'node:fs';
import { FileError } from '../io/errors.js';

const NEWLINE = 0x0a;

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

/**
 * A file's lines as byte ranges of large read buffers. A UTF-8 byte-order mark at the very
 * start is skipped. `alloc` supplies the buffers (a caller may recycle them).
 */
export function* rawLines(file: string, chunkSize = 8 << 20, alloc: (size: number) => Buffer = Buffer.allocUnsafe): Generator<RawLine> {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw new FileError(`${file}: cannot read: ${(e as Error).message}`, file);
  }
  try {
    let buf = alloc(chunkSize);
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
      const next = alloc(rest * 2 > chunkSize ? rest * 2 : chunkSize);
      buf.copy(next, 0, pos, limit);
      buf = next;
      have = rest;
    }
  } finally {
    closeSync(fd);
  }
}
