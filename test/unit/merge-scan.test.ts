import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rawLines } from '../../src/merge/scan.js';
import { shardOfKey } from '../../src/core/shard.js';

describe('raw lines', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'codeseceval-scan-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('split on newlines across reads, growing for long lines, with a torn tail and a BOM', () => {
    const file = path.join(dir, 'a.jsonl');
    const long = 'x'.repeat(100);
    writeFileSync(file, `\uFEFF{"a":1}\n{"b":"${long}"}\n\n{"c":`);
    const got = [...rawLines(file, 16)].map((l) => [l.line, l.buf.toString('utf8', l.start, l.end), l.terminated]);
    expect(got).toEqual([
      [1, '{"a":1}', true],
      [2, `{"b":"${long}"}`, true],
      [3, '', true],
      [4, '{"c":', false],
    ]);
  });
});

describe('the shard hash is part of the file format', () => {
  it('gives the same shards it always gave', () => {
    const keys = ['["T/add","m0","direct-generation",0]', '["CWE-079_author_1.py","gpt-4o","vuln-aware-generation",9]', '["é",null,null,0]'];
    expect(keys.map((k) => [shardOfKey(k, 2), shardOfKey(k, 7), shardOfKey(k, 1000)])).toEqual([
      [0, 2, 632],
      [1, 0, 717],
      [1, 6, 597],
    ]);
  });
});
