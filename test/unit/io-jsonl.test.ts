import { appendFileSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  countLinesSync,
  issueLine,
  parseJsonText,
  readJsonFile,
  readJsonFileSync,
  readJsonl,
  readJsonlFile,
  readJsonlFileSync,
  readJsonlLineSync,
  readJsonlSync,
  type JsonlEntry,
  type ReadJsonlOptions,
} from '../../src/io/index.js';
import { UserError } from '../../src/core/errors.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'io-jsonl-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function file(content: string | Buffer): string {
  const f = path.join(dir, `f${++n}.jsonl`);
  writeFileSync(f, content);
  return f;
}

const Row = z.object({ id: z.string(), n: z.number().int(), tags: z.array(z.string()).optional() });

function jsonMessage(text: string): string {
  try {
    JSON.parse(text);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('valid JSON');
}

async function all<T>(f: string, schema: z.ZodType<T>, opts: ReadJsonlOptions = {}): Promise<JsonlEntry<T>[]> {
  const out: JsonlEntry<T>[] = [];
  for await (const e of readJsonl(f, schema, opts)) out.push(e);
  return out;
}

/** The message of what both the async and the sync reader throw; they must agree. */
async function failure(f: string, opts: ReadJsonlOptions = {}): Promise<string> {
  const asyncErr = await all(f, Row, opts).then(
    () => null,
    (e: unknown) => e,
  );
  let syncErr: unknown = null;
  try {
    [...readJsonlSync(f, Row, opts)];
  } catch (e) {
    syncErr = e;
  }
  expect(asyncErr).toBeInstanceOf(UserError);
  expect(syncErr).toBeInstanceOf(UserError);
  const message = (asyncErr as Error).message;
  expect((syncErr as Error).message).toBe(message);
  expect(message).not.toMatch(/[\r\n]/);
  return message;
}

describe('readJsonl', () => {
  it('yields values with line numbers and end offsets, skipping blank lines', async () => {
    const lines = ['{"id":"a","n":1}\n', '\n', '   \n', '{"id":"ü","n":2}\r\n', '{"id":"c","n":3}\n'];
    const f = file(lines.join(''));
    const got = await all(f, Row);
    const ends = lines.map((_, i) => Buffer.byteLength(lines.slice(0, i + 1).join('')));
    expect(got).toEqual([
      { kind: 'value', line: 1, start: 0, bytes: ends[0], value: { id: 'a', n: 1 } },
      { kind: 'value', line: 4, start: ends[2], bytes: ends[3], value: { id: 'ü', n: 2 } },
      { kind: 'value', line: 5, start: ends[3], bytes: ends[4], value: { id: 'c', n: 3 } },
    ]);
    expect([...readJsonlSync(f, Row)]).toEqual(got);
    expect(await readJsonlFile(f, Row)).toEqual(got);
    expect(readJsonlFileSync(f, Row)).toEqual(got);
  });

  it('decodes multi-byte characters split across read chunks', async () => {
    const value = { id: 'é漢字🙂'.repeat(20), n: 7 };
    const f = file(`${JSON.stringify(value)}\n${JSON.stringify(value)}\n`);
    for (const chunkSize of [1, 3, 7, 64]) {
      const got = await all(f, Row, { chunkSize });
      expect(got.map((e) => (e.kind === 'value' ? e.value : null))).toEqual([value, value]);
      expect([...readJsonlSync(f, Row, { chunkSize })]).toEqual(got);
    }
  });

  it('accepts a byte-order mark at the start of the file only', async () => {
    expect((await readJsonlFile(file('\ufeff{"id":"a","n":1}\n'), Row)).map((e) => e.value.id)).toEqual(['a']);
    expect(readJsonlFileSync(file('\ufeff\r\n{"id":"a","n":1}\n'), Row).map((e) => [e.line, e.value.id])).toEqual([[2, 'a']]);
    const f = file('{"id":"a","n":1}\n\ufeff{"id":"b","n":2}\n');
    expect(await failure(f)).toBe(`${f}:2: invalid JSON (${jsonMessage('\ufeff{"id":"b","n":2}')})`);
  });

  it('names file, line and field for a schema violation', async () => {
    const f = file('{"id":"a","n":1}\n{"id":"b","n":1.5}\n');
    const zodMessage = Row.safeParse({ id: 'b', n: 1.5 }).error!.issues[0]!.message;
    expect(await failure(f)).toBe(`${f}:2: n: ${zodMessage}`);
    expect(zodMessage).toMatch(/int/);
  });

  it('joins a nested field path with dots and says (line) for the whole value', async () => {
    const nested = file('{"id":"a","n":1,"tags":["x",3]}\n');
    expect(await failure(nested)).toMatch(new RegExp(`^${escape(nested)}:1: tags\\.1: Invalid input: expected string, received number$`));
    const whole = file('\n[1,2]\n');
    expect(await failure(whole)).toBe(`${whole}:2: (line): Invalid input: expected object, received array`);
  });

  it('reports invalid JSON with the parser message', async () => {
    const f = file('{"id":"a","n":1}\n{"id":"b",\n');
    expect(await failure(f)).toBe(`${f}:2: invalid JSON (${jsonMessage('{"id":"b",')})`);
  });

  it('reports invalid UTF-8 with its line instead of replacing it', async () => {
    const f = file(Buffer.concat([Buffer.from('{"id":"a","n":1}\n\n{"id":"'), Buffer.from([0xff, 0xfe]), Buffer.from('","n":1}\n')]));
    expect(await failure(f)).toBe(`${f}:3: invalid UTF-8`);
    // An overlong encoding and a lone surrogate are invalid too.
    const overlong = file(Buffer.concat([Buffer.from('{"id":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('","n":1}\n')]));
    expect(await failure(overlong)).toBe(`${overlong}:1: invalid UTF-8`);
    const surrogate = file(Buffer.concat([Buffer.from('{"id":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('","n":1}\n')]));
    expect(await failure(surrogate)).toBe(`${surrogate}:1: invalid UTF-8`);
  });

  it('names a missing file and a directory', async () => {
    const missing = path.join(dir, 'nope.jsonl');
    expect(await failure(missing)).toBe(`${missing}: no such file`);
    expect(await failure(dir)).toBe(`${dir}: is a directory, not a file`);
  });

  it('keeps messages on one line whatever the input holds', async () => {
    const Odd = z.object({ id: z.string().refine(() => false, { message: 'bad\nvalue\r\u001b[31m' }) });
    const f = file('{"id":"x"}\n');
    const err = await readJsonlFile(f, Odd).catch((e: Error) => e);
    expect((err as Error).message).toBe(`${f}:1: id: bad value ?[31m`);
  });

  describe('a last line without its newline', () => {
    const complete = '{"id":"a","n":1}\n';

    it('is an ordinary line by default, and a cut-short one is named as such', async () => {
      const whole = file(`${complete}{"id":"b","n":2}`);
      expect((await readJsonlFile(whole, Row)).map((e) => e.value.id)).toEqual(['a', 'b']);
      const torn = file(`${complete}{"id":"b","n`);
      expect(await failure(torn)).toBe(
        `${torn}:2: invalid JSON (${jsonMessage('{"id":"b","n')}); it is the last line and has no newline, so it may have been cut short`,
      );
    });

    it("is an error with tornTail: 'error'", async () => {
      const whole = file(`${complete}{"id":"b","n":2}`);
      expect(await failure(whole, { tornTail: 'error' })).toBe(`${whole}:2: last line is incomplete (no newline at the end)`);
    });

    it("is reported with its offsets with tornTail: 'report', even when cut inside a character", async () => {
      const cut = Buffer.concat([Buffer.from(`${complete}{"id":"`), Buffer.from('漢').subarray(0, 2)]);
      const f = file(cut);
      const got = await all(f, Row, { tornTail: 'report' });
      expect(got).toEqual([
        { kind: 'value', line: 1, start: 0, bytes: complete.length, value: { id: 'a', n: 1 } },
        { kind: 'torn', line: 2, start: complete.length, bytes: cut.length },
      ]);
      expect([...readJsonlSync(f, Row, { tornTail: 'report' })]).toEqual(got);
    });

    it('that is blank is skipped in every mode', async () => {
      const f = file(`${complete}  `);
      for (const tornTail of ['parse', 'error', 'report'] as const) {
        expect((await all(f, Row, { tornTail })).map((e) => e.kind)).toEqual(['value']);
      }
    });
  });

  it("reports bad lines and goes on with invalid: 'report'", async () => {
    const f = file(
      Buffer.concat([Buffer.from('{"id":"a","n":1}\nnot json\n{"id":"c"}\n'), Buffer.from([0xff, 0x0a]), Buffer.from('{"id":"e","n":5}\n')]),
    );
    const got = await all(f, Row, { invalid: 'report' });
    expect(got.map((e) => [e.kind, e.line, e.kind === 'invalid' ? e.problem : null])).toEqual([
      ['value', 1, null],
      ['invalid', 2, `${f}:2: invalid JSON (${jsonMessage('not json')})`],
      ['invalid', 3, `${f}:3: n: ${Row.safeParse({ id: 'c' }).error!.issues[0]!.message}`],
      ['invalid', 4, `${f}:4: invalid UTF-8`],
      ['value', 5, null],
    ]);
  });

  it('streams a 72,000-line file: lines appended while reading are still seen', async () => {
    const lines = 72_000;
    const line = (i: number): string => `${JSON.stringify({ id: `CWE-79_${i}`, n: i, tags: ['x'.repeat(40)] })}\n`;
    const parts: string[] = [];
    for (let i = 0; i < lines; i++) parts.push(line(i));
    const f = file(parts.join(''));
    let count = 0;
    let last: JsonlEntry<z.infer<typeof Row>> | undefined;
    for await (const e of readJsonl(f, Row)) {
      // A reader that loaded the file up front would never see this line.
      if (count === 0) appendFileSync(f, line(lines));
      count++;
      last = e;
    }
    expect(count).toBe(lines + 1);
    expect(last).toMatchObject({ kind: 'value', line: lines + 1, value: { n: lines } });


    // The synchronous reader streams the same way; a smaller file and read size show it.
    const small = file(parts.slice(0, 1000).join(''));
    count = 0;
    for (const e of readJsonlSync(small, Row, { chunkSize: 4096 })) {
      if (count === 0) appendFileSync(small, line(1000));
      count++;
      expect(e.line).toBe(count);
    }
    expect(count).toBe(1001);
  });

  it('closes the file when the caller stops early', async () => {
    const f = file('{"id":"a","n":1}\n{"id":"b","n":2}\n');
    for await (const e of readJsonl(f, Row)) {
      expect(e.line).toBe(1);
      break;
    }
    for (const e of readJsonlSync(f, Row)) {
      expect(e.line).toBe(1);
      break;
    }
    // Nothing left open: an open handle would keep the test process from exiting cleanly,
    // and on Linux shows in /proc/self/fd.
    const { readdirSync, readlinkSync } = await import('node:fs');
    const open = readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`) === f;
      } catch {
        return false;
      }
    });
    expect(open).toEqual([]);
  });
});

describe('reading on from an offset (a file that grows)', () => {
  const LINES = ['{"id":"a","n":1}\n', '\n', '{"id":"b","n":2}\r\n', '{"id":"c","n":3}\n'];

  it('goes on from an entry’s end with the line numbers and offsets of a whole read', async () => {
    const f = file(LINES.join(''));
    const whole = await all(f, Row);
    const first = whole[0]!;
    const rest = await all(f, Row, { from: { offset: first.bytes, line: first.line } });
    expect(rest).toEqual(whole.slice(1));
    expect([...readJsonlSync(f, Row, { from: { offset: first.bytes, line: first.line }, chunkSize: 3 })]).toEqual(whole.slice(1));
  });

  it('stops before `to`: a line cut there is torn, and the next read takes it whole', async () => {
    const f = file(LINES.join(''));
    const cut = Buffer.byteLength(LINES.slice(0, 3).join('')) + 5;
    const got = [...readJsonlSync(f, Row, { to: cut, tornTail: 'report' })];
    expect(got.map((e) => e.kind)).toEqual(['value', 'value', 'torn']);
    const b = got[1]!;
    const next = [...readJsonlSync(f, Row, { from: { offset: b.bytes, line: b.line }, tornTail: 'report' })];
    expect(next).toEqual([{ kind: 'value', line: 4, start: b.bytes, bytes: Buffer.byteLength(LINES.join('')), value: { id: 'c', n: 3 } }]);
  });

  it('refuses a symlink with noFollow, and reads through it without', async () => {
    const f = file(LINES[0]!);
    const link = path.join(dir, `link${++n}.jsonl`);
    symlinkSync(f, link);
    expect(readJsonlFileSync(link, Row).map((e) => e.value.id)).toEqual(['a']);
    expect(() => [...readJsonlSync(link, Row, { noFollow: true })]).toThrow(new RegExp(`^${escape(link)}: cannot read: `));
    await expect(all(link, Row, { noFollow: true })).rejects.toThrow(/cannot read/);
    expect(() => countLinesSync(link, { noFollow: true })).toThrow(/cannot read/);
    expect(() => readJsonlLineSync(link, { start: 0, bytes: 5 }, Row, { noFollow: true })).toThrow(/cannot read/);
  });

  it('reads one line again by its offsets, naming the byte where it starts', () => {
    const f = file(LINES.join('') + '{"id":"d"}\n');
    const [, b] = [...readJsonlSync(f, Row, { to: Buffer.byteLength(LINES.join('')) })];
    expect(readJsonlLineSync(f, b!, Row)).toEqual({ id: 'b', n: 2 });
    const start = Buffer.byteLength(LINES.join(''));
    expect(() => readJsonlLineSync(f, { start, bytes: start + 11 }, Row)).toThrow(`${f}: byte ${start}: n: `);
  });

  it('counts complete non-blank lines and where they end, going on from there', () => {
    const f = file('{"a":1}\n\n  \r\n{"b":2}\n{"c":');
    const full = Buffer.byteLength('{"a":1}\n\n  \r\n{"b":2}\n');
    for (const chunkSize of [1, 2, 5, 64]) expect(countLinesSync(f, { chunkSize })).toEqual({ lines: 2, bytes: full });
    expect(countLinesSync(f, { from: { offset: 8, line: 0 } })).toEqual({ lines: 1, bytes: full });
    expect(countLinesSync(f, { to: 9 })).toEqual({ lines: 1, bytes: 9 });
    appendFileSync(f, '3}\n');
    expect(countLinesSync(f, { from: { offset: full, line: 0 } })).toEqual({ lines: 1, bytes: full + 8 });
  });
});

describe('readJsonFile', () => {
  const Doc = z.object({ dataset: z.string(), records: z.array(z.object({ task_id: z.string().min(1) })) });

  it('reads one document, with or without a byte-order mark', async () => {
    const f = file('\ufeff{"dataset":"d","records":[{"task_id":"t"}]}');
    expect(await readJsonFile(f, Doc)).toEqual({ dataset: 'd', records: [{ task_id: 't' }] });
    expect(readJsonFileSync(f, Doc)).toEqual({ dataset: 'd', records: [{ task_id: 't' }] });
  });

  it('names the file and field, or (file) for the whole document', async () => {
    const field = file('{"dataset":"d","records":[{"task_id":"t"},{"task_id":""}]}');
    const msg = Doc.safeParse({ dataset: 'd', records: [{ task_id: 't' }, { task_id: '' }] }).error!.issues[0]!.message;
    const err = await readJsonFile(field, Doc).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toBe(`${field}: records.1.task_id: ${msg}`);
    const whole = file('[]');
    expect(() => readJsonFileSync(whole, Doc)).toThrow(`${whole}: (file): Invalid input: expected object, received array`);
    const broken = file('{"dataset":');
    expect(() => readJsonFileSync(broken, Doc)).toThrow(`${broken}: invalid JSON (${jsonMessage('{"dataset":')})`);
    const binary = file(Buffer.from([0x7b, 0xff, 0x7d]));
    await expect(readJsonFile(binary, Doc)).rejects.toThrow(`${binary}: invalid UTF-8`);
    await expect(readJsonFile(path.join(dir, 'none.json'), Doc)).rejects.toThrow(`${path.join(dir, 'none.json')}: no such file`);
    expect(() => readJsonFileSync(dir, Doc)).toThrow(`${dir}: is a directory, not a file`);
  });
});

describe('issueLine and parseJsonText', () => {
  it('format zod errors and JSON text the readers way', () => {
    const err = Row.safeParse({ id: 1, n: 1 }).error!;
    expect(issueLine('x.jsonl:4', err)).toBe(`x.jsonl:4: id: ${err.issues[0]!.message}`);
    expect(issueLine('v.json', z.object({}).safeParse(3).error!, '(file)')).toBe(
      'v.json: (file): Invalid input: expected object, received number',
    );
    expect(parseJsonText('{"id":"a","n":2}', Row, 'http://127.0.0.1:9/v1')).toEqual({ id: 'a', n: 2 });
    expect(() => parseJsonText('<html>', Row, 'http://127.0.0.1:9/v1')).toThrow(
      `http://127.0.0.1:9/v1: invalid JSON (${jsonMessage('<html>')})`,
    );
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('entry types', () => {
  it('include torn and invalid entries exactly when the options can ask for them', async () => {
    const f = file('{"id":"a","n":1}\n{"id":"b"');
    // Compile-time checks (tsc): `value` is reachable without narrowing only when nothing else can come.
    const plain: string[] = [];
    for (const e of readJsonlSync(file('{"id":"a","n":1}\n'), Row)) plain.push(e.value.id);
    expect(plain).toEqual(['a']);
    const kinds: string[] = [];
    for await (const e of readJsonl(f, Row, { tornTail: 'report' })) {
      // @ts-expect-error a torn entry has no value
      void e.value;
      kinds.push(e.kind === 'torn' ? `torn@${e.start}` : e.value.id);
    }
    expect(kinds).toEqual(['a', 'torn@17']);
    const opts: ReadJsonlOptions = { invalid: 'report', tornTail: 'report' };
    for await (const e of readJsonl(f, Row, opts)) {
      // @ts-expect-error with options typed ReadJsonlOptions every kind is possible
      void e.value;
    }
  });
});
