import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { environmentFileFor } from '../core/environment.js';
import { readEnvironmentFile } from '../evaluate/environment.js';

/**
 * How far each shard's results file has got, read incrementally: only the bytes appended since
 * the last look are counted, so watching files of millions of lines every few seconds costs
 * next to nothing. A file that shrank (a resumed shard drops a torn last line) is recounted.
 */
export class ShardWatcher {
  private seen = new Map<string, { size: number; lines: number; endsWithNewline: boolean }>();

  /** Complete lines in `file` now. */
  lines(file: string): number {
    let size: number;
    try {
      size = statSync(file).size;
    } catch {
      this.seen.delete(file);
      return 0;
    }
    let entry = this.seen.get(file);
    if (!entry || size < entry.size) entry = { size: 0, lines: 0, endsWithNewline: true };
    if (size > entry.size) {
      const fd = openSync(file, 'r');
      try {
        const buf = Buffer.allocUnsafe(1 << 20);
        let pos = entry.size;
        while (pos < size) {
          const n = readSync(fd, buf, 0, Math.min(buf.length, size - pos), pos);
          if (n <= 0) break;
          for (let i = buf.indexOf(10, 0); i !== -1 && i < n; i = buf.indexOf(10, i + 1)) entry.lines++;
          entry.endsWithNewline = buf[n - 1] === 10;
          pos += n;
        }
        entry.size = pos;
      } finally {
        closeSync(fd);
      }
    }
    this.seen.set(file, entry);
    return entry.lines;
  }

  /**
   * Finished: the shard's environment record names this shard and its size, and the file holds
   * that many whole lines (evaluate writes exactly one line per sample and nothing after).
   */
  finished(file: string, expected: number): boolean {
    if (!existsSync(file) || !existsSync(environmentFileFor(file))) return false;
    let shard;
    try {
      shard = readEnvironmentFile(file)?.records.at(-1)?.shard;
    } catch {
      return false;
    }
    if (!shard || shard.samples !== expected) return false;
    const lines = this.lines(file);
    return lines === expected && this.seen.get(file)!.endsWithNewline !== false;
  }
}
