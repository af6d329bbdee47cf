import { chmodSync, readdirSync, readFileSync, statSync, symlinkSync, lstatSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  JsonlAppender,
  readJsonlFileSync,
  rewriteJsonl,
  rewriteJsonlSync,
  truncateFile,
  writeFileAtomic,
  writeFileAtomicSync,
} from '../../src/io/index.js';
import { UserError } from '../../src/core/errors.js';
import { Child } from './io-child.js';
import { tempRoot, thrown } from './io-temp.js';

const { fresh: freshDir } = tempRoot('io-write-');

describe('writeFileAtomic', () => {
  it('writes a new file and replaces an old one, keeping its permissions and leaving no temporary file', async () => {
    const d = freshDir();
    const f = path.join(d, 'report.md');
    writeFileAtomicSync(f, ['# a\n', Buffer.from('b\n')]);
    expect(readFileSync(f, 'utf8')).toBe('# a\nb\n');
    chmodSync(f, 0o640);
    await writeFileAtomic(f, 'new');
    expect(readFileSync(f, 'utf8')).toBe('new');
    expect(statSync(f).mode & 0o777).toBe(0o640);
    await writeFileAtomic(
      f,
      (async function* () {
        yield 'as';
        yield 'ync';
      })(),
    );
    expect(readFileSync(f, 'utf8')).toBe('async');
    expect(readdirSync(d)).toEqual(['report.md']);
  });

  it('leaves the old file untouched when the content fails midway, and passes the error on', async () => {
    const d = freshDir();
    const f = path.join(d, 'results.json');
    writeFileSync(f, 'precious');
    const boom = new Error('renderer failed');
    const err = thrown(() =>
      writeFileAtomicSync(
        f,
        (function* () {
          yield 'x'.repeat(100_000);
          throw boom;
        })(),
      ),
    );
    expect(err).toBe(boom);
    await expect(
      writeFileAtomic(
        f,
        (async function* () {
          yield 'partial';
          throw boom;
        })(),
      ),
    ).rejects.toBe(boom);
    expect(readFileSync(f, 'utf8')).toBe('precious');
    expect(readdirSync(d)).toEqual(['results.json']);
  });

  it('flushes in the background as it goes when asked, with the same file and the same failure handling', async () => {
    const d = freshDir();
    const f = path.join(d, 'big.jsonl');
    const parts = Array.from({ length: 200 }, (_, i) => `${String(i).repeat(500)}\n`);
    const slowly = async function* (fail: boolean) {
      for (const p of parts) {
        yield p;
        // Lets a background flush start and finish between chunks.
        await new Promise((r) => setImmediate(r));
      }
      if (fail) throw new Error('stopped');
    };
    await writeFileAtomic(f, slowly(false), { flushEvery: 4096 });
    expect(readFileSync(f, 'utf8')).toBe(parts.join(''));
    await expect(writeFileAtomic(f, slowly(true), { flushEvery: 4096 })).rejects.toThrow('stopped');
    expect(readFileSync(f, 'utf8')).toBe(parts.join(''));
    expect(readdirSync(d)).toEqual(['big.jsonl']);
  });

  it('names the file when its folder is missing, unless asked to create it', async () => {
    const d = freshDir();
    const f = path.join(d, 'a', 'b', 'out.md');
    const err = thrown(() => writeFileAtomicSync(f, 'x'));
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toBe(`${f}: folder ${path.join(d, 'a', 'b')} does not exist`);
    await writeFileAtomic(f, 'x', { mkdir: true });
    expect(readFileSync(f, 'utf8')).toBe('x');
  });

  it('refuses a directory and reports file-system failures as one line naming the file', () => {
    const d = freshDir();
    expect(thrown(() => writeFileAtomicSync(d, 'x')).message).toBe(`${d}: is a directory, not a file`);
    // Creating files at the top of sysfs is refused even to root.
    const err = thrown(() => writeFileAtomicSync('/sys/codeseceval-test.md', 'x'));
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toBe('/sys/codeseceval-test.md: cannot write: permission denied');
    expect(err.message).not.toMatch(/\n/);
  });

  it('writes through a symlink, replacing its target', () => {
    const d = freshDir();
    const real = path.join(d, 'real.md');
    const link = path.join(d, 'link.md');
    writeFileSync(real, 'old');
    symlinkSync(real, link);
    writeFileAtomicSync(link, 'new');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(real, 'utf8')).toBe('new');
  });
});

const Line = z.looseObject({ i: z.number(), error: z.string().nullable().optional() });

describe('JsonlAppender', () => {
  it('appends one JSON line per value and keeps what was there', () => {
    const d = freshDir();
    const f = path.join(d, 's.jsonl');
    writeFileSync(f, '{"i":0}\n');
    const out = new JsonlAppender<{ i: number; text: string }>(f);
    out.append({ i: 1, text: 'line\nbreak "quoted" \u2028' });
    out.append({ i: 2, text: '\ud800 lone surrogate' });
    expect(out.bytes).toBe(statSync(f).size);
    out.close();
    out.close();
    const lines = readFileSync(f, 'utf8').split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[3]).toBe('');
    expect(readJsonlFileSync(f, Line, { tornTail: 'error' }).map((e) => e.value.i)).toEqual([0, 1, 2]);
    expect(() => out.append({ i: 3, text: '' })).toThrow(/append after close/);
  });

  it('refuses to append after a torn last line until it is truncated away', () => {
    const d = freshDir();
    const f = path.join(d, 's.jsonl');
    writeFileSync(f, '{"i":0}\n{"i":1,"err');
    const err = thrown(() => new JsonlAppender(f));
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toBe(`${f}: ends with an incomplete line (no newline); refusing to append after it`);
    truncateFile(f, 8);
    const out = new JsonlAppender(f);
    out.append({ i: 1 });
    out.close();
    expect(readFileSync(f, 'utf8')).toBe('{"i":0}\n{"i":1}\n');
  });

  it('names a missing folder and a directory', () => {
    const d = freshDir();
    const f = path.join(d, 'nope', 's.jsonl');
    expect(thrown(() => new JsonlAppender(f)).message).toBe(`${f}: folder ${path.join(d, 'nope')} does not exist`);
    expect(thrown(() => new JsonlAppender(d)).message).toBe(`${d}: is a directory, not a file`);
  });

  it('leaves whole lines only when a write fails partway (file size limit in a real process)', async () => {
    const d = freshDir();
    const f = path.join(d, 's.jsonl');
    const child = await Child.start(1); // 1 KiB: the 11th ~100-byte line crosses it
    try {
      const r = await child.send('append', f, 50, 90);
      expect(r.ok).toBe(false);
      expect(r.message).toBe(`${f}: cannot append: file too large`);
    } finally {
      await child.stop();
    }
    const text = readFileSync(f, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    const values = readJsonlFileSync(f, z.object({ i: z.number(), pad: z.string() }), { tornTail: 'error' });
    expect(values.map((e) => e.value.i)).toEqual([...Array(values.length).keys()]);
    expect(values.length).toBeGreaterThan(5);
    expect(statSync(f).size).toBeLessThanOrEqual(1024);
  });
});

describe('truncateFile', () => {
  it('cuts a file and never lengthens it', () => {
    const d = freshDir();
    const f = path.join(d, 'r.jsonl');
    writeFileSync(f, '0123456789');
    truncateFile(f, 4);
    expect(readFileSync(f, 'utf8')).toBe('0123');
    expect(thrown(() => truncateFile(f, 5)).message).toBe(`${f}: cannot truncate to 5 bytes: it holds only 4`);
    expect(thrown(() => truncateFile(path.join(d, 'x'), 0)).message).toBe(`${path.join(d, 'x')}: cannot truncate: no such file`);
  });
});

describe('rewriteJsonl', () => {
  const content = '{"i":0,"error":null}\n\n{"i":1,"error":"429", "spacing" : "kept"}\r\n{"i":2,"error":null}\n{"i":3,"error":"boom"}\n';

  it('drops the lines the caller rejects, copying the rest byte for byte', async () => {
    const d = freshDir();
    const f = path.join(d, 's.jsonl');
    writeFileSync(f, content);
    chmodSync(f, 0o600);
    expect(rewriteJsonlSync(f, Line, (v) => v.i !== 1)).toEqual({ kept: 3, dropped: 1 });
    expect(readFileSync(f, 'utf8')).toBe('{"i":0,"error":null}\n{"i":2,"error":null}\n{"i":3,"error":"boom"}\n');
    expect(statSync(f).mode & 0o777).toBe(0o600);
    expect(await rewriteJsonl(f, Line, (v, e) => v.error === null || e.line !== 3)).toEqual({ kept: 2, dropped: 1 });
    expect(readFileSync(f, 'utf8')).toBe('{"i":0,"error":null}\n{"i":2,"error":null}\n');
    expect(readdirSync(d)).toEqual(['s.jsonl']);
  });

  it('keeps CRLF lines as they were and leaves the file alone when nothing is dropped', () => {
    const d = freshDir();
    const f = path.join(d, 's.jsonl');
    writeFileSync(f, content);
    const before = statSync(f);
    expect(rewriteJsonlSync(f, Line, () => true)).toEqual({ kept: 4, dropped: 0 });
    expect(statSync(f).ino).toBe(before.ino);
    expect(rewriteJsonlSync(f, Line, (v) => v.i === 1)).toEqual({ kept: 1, dropped: 3 });
    expect(readFileSync(f, 'utf8')).toBe('{"i":1,"error":"429", "spacing" : "kept"}\r\n');
  });

  it('changes nothing when a line is bad', async () => {
    const d = freshDir();
    const f = path.join(d, 's.jsonl');
    writeFileSync(f, `${content}{"i":"x"}\n`);
    await expect(rewriteJsonl(f, Line, () => false)).rejects.toThrow(new RegExp(`^${f}:6: i: `));
    expect(readFileSync(f, 'utf8')).toBe(`${content}{"i":"x"}\n`);
    expect(readdirSync(d)).toEqual(['s.jsonl']);
    const missing = path.join(d, 'none.jsonl');
    expect(thrown(() => rewriteJsonlSync(missing, Line, () => false)).message).toBe(`${missing}: no such file`);
    expect(readdirSync(d)).toEqual(['s.jsonl']);
  });
});

describe('the I/O layer surface', () => {
  it('never throws a bare file-system error for a user mistake', () => {
    const d = freshDir();
    for (const fn of [
      () => writeFileAtomicSync(path.join(d, 'no', 'x'), ''),
      () => new JsonlAppender(path.join(d, 'no', 'x')),
      () => truncateFile(path.join(d, 'no'), 0),
      () => rewriteJsonlSync(d, Line, () => true),
    ]) {
      const err = thrown(fn);
      expect(err).toBeInstanceOf(UserError);
      expect(err.message).not.toMatch(/\n/);
    }
  });
});
