/**
 * Repair of a damaged JSONL file, keeping every good line: `repairJsonl(file, check)` moves
 * the lines that are not valid JSON, not valid UTF-8, not of the file's shape (`check.schema`)
 * or refused by `check.judge` (a repeated sample, say) to `FILE.rejected`, one JSON line each
 * `{ line, reason, text, repaired_at, backup }`, after copying the whole file unchanged to
 * `FILE.bak` (`FILE.bak.2`, ... when that exists). Kept lines are copied byte for byte; a
 * good last line without its newline gets one. The file is replaced in one rename, under its
 * output lock, so no writer is appending meanwhile. A file with nothing to repair is left
 * untouched (no backup, no rejected file).
 *
 * `text` is the line as UTF-8 text (invalid bytes replaced); the backup keeps the exact bytes.
 */
import { closeSync, constants, copyFileSync, openSync, readSync, statSync, unlinkSync } from 'node:fs';
import type { z } from 'zod';
import { errnoCode, FileError, fsReason } from './errors.js';
import { scanJsonl } from './jsonl.js';
import { acquireLock } from './lock.js';
import { checkInputFile } from './paths.js';
import { JsonlAppender, writeFileAtomic } from './write.js';

/** What refusal messages about a bad line of a results or samples file offer instead of starting over. */
export function repairHint(file: string): string {
  return `\`codeseceval repair ${file}\` moves the bad lines to ${file}.rejected and keeps the rest`;
}

export interface RepairCheck<T> {
  schema: z.ZodType<T>;
  /**
   * Called in file order for each line that has the schema's shape: null keeps it, a reason
   * (one line, without the line number) moves it aside. May keep state (the samples seen).
   */
  judge(value: T, line: number): string | null;
}

export interface RejectedLine {
  line: number;
  reason: string;
}

export interface RepairReport {
  file: string;
  kept: number;
  rejected: RejectedLine[];
  /** Where the untouched original was copied; null when nothing needed repair. */
  backup: string | null;
  /** Where the bad lines went; null when nothing needed repair. */
  rejectedFile: string | null;
}

/** The rejected file's line: enough to put a line back by hand. */
export interface RejectedRecord {
  line: number;
  reason: string;
  text: string;
  repaired_at: string;
  backup: string;
}

interface Range {
  start: number;
  end: number;
}

/** `FILE:LINE: problem` → `problem`: the rejected file names the line in its own field. */
function withoutWhere(problem: string, file: string, line: number): string {
  const where = `${file}:${line}: `;
  return problem.startsWith(where) ? problem.slice(where.length) : problem;
}

function backupName(file: string): string {
  for (let n = 1; ; n++) {
    const name = n === 1 ? `${file}.bak` : `${file}.bak.${n}`;
    try {
      copyFileSync(file, name, constants.COPYFILE_EXCL);
      return name;
    } catch (e) {
      if (errnoCode(e) === 'EEXIST') continue;
      // A copy cut short (a full disk) is no backup: remove it (it was ours, made exclusively).
      try {
        unlinkSync(name);
      } catch {
        // never created
      }
      throw new FileError(`${file}: cannot keep a backup as ${name}: ${fsReason(e)}; the file was left as it is`, file);
    }
  }
}

function readRange(fd: number, file: string, r: Range): Buffer {
  const buf = Buffer.alloc(r.end - r.start);
  let off = 0;
  try {
    while (off < buf.length) {
      const n = readSync(fd, buf, off, buf.length - off, r.start + off);
      if (n === 0) break;
      off += n;
    }
  } catch (e) {
    throw new FileError(`${file}: cannot read: ${fsReason(e)}`, file);
  }
  return buf.subarray(0, off);
}

/** The file's bytes outside `drop`, in chunks, ending with a newline. */
async function* keptBytes(file: string, size: number, drop: readonly Range[]): AsyncGenerator<Uint8Array> {
  const fd = openSync(file, 'r');
  try {
    let pos = 0;
    let last = 0x0a;
    const copy = function* (end: number): Generator<Uint8Array> {
      const CHUNK = 1 << 20;
      while (pos < end) {
        const chunk = readRange(fd, file, { start: pos, end: Math.min(end, pos + CHUNK) });
        if (!chunk.length) throw new FileError(`${file}: changed while it was repaired; the file was left as it is`, file);
        pos += chunk.length;
        last = chunk[chunk.length - 1]!;
        yield chunk;
      }
    };
    for (const r of drop) {
      yield* copy(r.start);
      pos = r.end;
    }
    yield* copy(size);
    if (last !== 0x0a) yield Buffer.from('\n');
  } finally {
    closeSync(fd);
  }
}

export interface RepairOptions {
  command?: string;
  /** Repair even when most lines are bad (by default that means the wrong file or kind). */
  force?: boolean;
  /** What the file was taken for, for the refusal ("a results file"). */
  kind?: string;
}

export async function repairJsonl<T>(file: string, check: RepairCheck<T>, opts: RepairOptions = {}): Promise<RepairReport> {
  checkInputFile(file);
  const lock = acquireLock(file, { command: opts.command ?? 'codeseceval repair' });
  try {
    const drop: (Range & RejectedLine)[] = [];
    let kept = 0;
    let size = 0;
    for await (const entry of scanJsonl(file, check.schema, { tornTail: 'parse', invalid: 'report' })) {
      size = entry.bytes;
      let reason: string | null;
      if (entry.kind === 'invalid') reason = withoutWhere(entry.problem, file, entry.line);
      else if (entry.kind === 'value') reason = check.judge(entry.value, entry.line);
      else reason = 'last line is incomplete';
      if (reason === null) kept++;
      else drop.push({ start: entry.start, end: entry.bytes, line: entry.line, reason });
    }
    if (!drop.length) return { file, kept, rejected: [], backup: null, rejectedFile: null };
    // Damage hits a few lines; most lines bad means a file of another kind was named.
    if (drop.length > kept && !opts.force) {
      throw new FileError(
        `${file}: ${drop.length} of ${drop.length + kept} lines would be moved aside (line ${drop[0]!.line}: ${drop[0]!.reason}); ` +
          `is it ${opts.kind ?? 'the right file'}? Nothing was changed; \`codeseceval repair --force ${file}\` repairs it anyway`,
        file,
      );
    }
    const backup = backupName(file);
    // Kept lines are copied from the backup, a copy nothing else writes to; up to its real
    // end, since trailing blank lines are not entries.
    size = Math.max(size, statSync(backup).size);
    const texts = readTexts(backup, drop);
    await writeFileAtomic(file, keptBytes(backup, size, drop));
    const rejectedFile = `${file}.rejected`;
    const out = new JsonlAppender<RejectedRecord>(rejectedFile);
    try {
      const at = new Date().toISOString();
      drop.forEach((d, i) => out.append({ line: d.line, reason: d.reason, text: texts[i]!, repaired_at: at, backup }));
    } finally {
      out.close();
    }
    return { file, kept, rejected: drop.map(({ line, reason }) => ({ line, reason })), backup, rejectedFile };
  } finally {
    lock.release();
  }
}

function readTexts(file: string, ranges: readonly Range[]): string[] {
  const fd = openSync(file, 'r');
  try {
    return ranges.map((r) => readRange(fd, file, r).toString('utf8').replace(/\r?\n$/, ''));
  } finally {
    closeSync(fd);
  }
}
