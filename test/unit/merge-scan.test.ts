import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rawLines, topLevelMembers } from '../../src/merge/scan.js';
import { shardOfKey } from '../../src/core/shard.js';

const WANTED = ['task_id', 'sample_index', 'model'];
const members = (text: string) => {
  const b = Buffer.from(text);
  const m = topLevelMembers(b, 0, b.length, WANTED);
  return m && Object.fromEntries([...m].map(([k, v]) => [k, JSON.parse(v)]));
};

describe('reading key members from a line without parsing it', () => {
  it('finds top-level members only, past strings with quotes, backslashes and braces', () => {
    expect(members('{"task_id":"T/1","solution":"x = \\"}\\" + \'{\'\\\\","sample_index":3}')).toEqual({ task_id: 'T/1', sample_index: 3 });
    expect(members('{"rounds":[{"task_id":"inner","model":"no"}],"model":"m", "task_id" : "T\\u00e9" , "sample_index" : 0 }')).toEqual({ model: 'm', task_id: 'Té', sample_index: 0 });
    expect(members('{"mod\\u0065l":"escaped name","task_id":"t","sample_index":1}')).toEqual({ model: 'escaped name', task_id: 't', sample_index: 1 });
    // Each agrees with JSON.parse on what it finds.
    const line = JSON.stringify({ a: { task_id: 'x' }, task_id: 'y"}{', b: ['"', '\\'], sample_index: 12, model: 'ü' });
    expect(members(line)).toEqual({ task_id: 'y"}{', sample_index: 12, model: 'ü' });
  });

  it('says null for what is not one object, so the caller parses it for the error', () => {
    for (const bad of ['[1,2]', '{"task_id":"t"', '{"task_id":"t"} {}', '{"task_id":"t}', 'null', '']) expect(members(bad)).toBeNull();
  });
});

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
