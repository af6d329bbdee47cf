import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { shardKey, shardOfKey } from '../../src/core/shard.js';
import { checkedShardRuns, type MergeKind } from '../../src/merge/lines.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'codeseceval-merge-lines-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const result = (i: number) => ({ task_id: 'T/1', sample_index: i, model: 'm', experiment: 'e', passed: true, status: 'passed', detail: '', duration_ms: 3, solution: 'x = "}{"\n' });
// Samples of shard 0 of 2 only, so that ownership is not what a test trips on.
const mine = Array.from({ length: 40 }, (_, i) => i).filter((i) => shardOfKey(shardKey(result(i), i), 2) === 0);

function check(text: string | Buffer, kind: MergeKind = 'results'): { bytes: string; lines: number } {
  const file = path.join(dir, `f${Math.random().toString(36).slice(2)}.jsonl`);
  writeFileSync(file, text);
  const runs = checkedShardRuns({ file, shard: { index: 0, count: 2 }, kind });
  let bytes = '';
  let step = runs.next();
  for (; !step.done; step = runs.next()) bytes += step.value.buf.toString('utf8', step.value.start, step.value.end);
  return { bytes, lines: step.value };
}

describe('the lines merge copies', () => {
  it('are copied byte for byte, blank lines left out', () => {
    const a = JSON.stringify(result(mine[0]!));
    const b = `{ "passed" : true ,"task_id":"T/1","sample_index":${mine[1]},"model":"m","experiment":"e","status":"passed","detail":"é","duration_ms":1}\r`;
    expect(check(`${a}\n\n  \n${b}\n`)).toEqual({ bytes: `${a}\n${b}\n`, lines: 2 });
  });

  it('must each be a valid line of their kind: strict JSON and the reader\'s schema, named by file and line', () => {
    const ok = JSON.stringify(result(mine[0]!));
    const { passed: _p, ...noVerdict } = result(mine[1]!);
    expect(() => check(`${ok}\n${JSON.stringify(noVerdict)}\n`)).toThrow(/f\w+\.jsonl:2: .*passed/);
    // Not JSON, though its key members are readable.
    expect(() => check(`${ok}\n{"task_id":"T/1","sample_index":${mine[1]},"model":"m","experiment":"e", oops}\n`)).toThrow(/:2: invalid JSON/);
    expect(() => check(`${ok}\n${JSON.stringify({ ...result(mine[1]!), status: 'great' })}\n`)).toThrow(/:2: .*status/);
    const bad = Buffer.from(`${ok}\n${JSON.stringify({ ...result(mine[1]!), detail: 'XX' })}\n`);
    bad[bad.indexOf('XX')] = 0xc3;
    expect(() => check(bad)).toThrow(/:2: invalid UTF-8/);
    // A samples line needs a program, a results line is not one.
    expect(() => check(`${JSON.stringify({ task_id: 'T/1', sample_index: mine[0], model: 'm', experiment: 'e' })}\n`, 'samples')).toThrow(/:1: .*solution/);
    expect(check(`${JSON.stringify({ task_id: 'T/1', sample_index: mine[0], model: 'm', experiment: 'e', completion: 'x' })}\n`, 'samples').lines).toBe(1);
    expect(() => check(`${JSON.stringify({ ...result(mine[0]!), sample_index: -1 })}\n`)).toThrow(/:1: .*sample_index/);
  });

  it('must be in their shard, once, and whole', () => {
    const other = Array.from({ length: 40 }, (_, i) => i).find((i) => !mine.includes(i))!;
    expect(() => check(`${JSON.stringify(result(other))}\n`)).toThrow(/:1: sample T\/1 #\d+ of m \/ e belongs to shard 1\/2, not 0\/2/);
    const a = JSON.stringify(result(mine[0]!));
    expect(() => check(`${a}\n${a}\n`)).toThrow(/:2: .* is there twice \(first at line 1\)/);
    expect(() => check(`${a}\n${a.slice(0, 20)}`)).toThrow(/:2: shard 0\/2 is unfinished/);
  });
});
