import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isRunFolder, Labeller, resolveInputs, resultParts, shardFilesIn } from '../../src/view/inputs.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'codeseceval-view-shard-inputs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function touch(...parts: string[]): string {
  const f = path.join(dir, ...parts);
  mkdirSync(path.dirname(f), { recursive: true });
  writeFileSync(f, '');
  return f;
}

describe('the viewer groups shard files', () => {
  it('of one results file named on the command line into one source, labelled as the merged file would be', () => {
    const a = touch('exp1', 'results.shard-0-of-3.jsonl');
    const b = touch('exp1', 'results.shard-2-of-3.jsonl');
    const other = touch('exp2', 'out.shard-1-of-2.jsonl');
    const plain = touch('exp3', 'results.jsonl');
    const { sources } = resolveInputs([b, plain, a, other], new Labeller(), dir);
    expect(sources.map((s) => [s.label, s.results, s.shards])).toEqual([
      ['exp1', path.join(dir, 'exp1', 'results.jsonl'), { given: [b, a] }],
      ['exp3', plain, null],
      ['out', path.join(dir, 'exp2', 'out.jsonl'), { given: [other] }],
    ]);
    expect(resultParts(sources[0]!)).toEqual([b, a]);
    expect(resultParts(sources[1]!)).toEqual([plain]);
  });

  it('of a run folder: its shard files while it has no merged results.jsonl, then that file', () => {
    const run = path.join(dir, 'sharded');
    const shards = [1, 0].map((i) => touch('sharded', `results.shard-${i}-of-2.jsonl`));
    touch('sharded', 'samples.shard-0-of-2.jsonl');
    touch('sharded', 'results.shard-x-of-2.jsonl');
    expect(isRunFolder(run)).toBe(true);
    expect(shardFilesIn(path.join(run, 'results.jsonl'))).toEqual([...shards].reverse());
    const { sources } = resolveInputs([dir], new Labeller(), dir);
    const spec = sources.find((s) => s.label === 'sharded')!;
    expect(spec.shards).toEqual({ given: null });
    expect(resultParts(spec)).toEqual([...shards].reverse());
    const merged = touch('sharded', 'results.jsonl');
    expect(resultParts(spec)).toEqual([merged]);
    expect(isRunFolder(path.join(dir, 'exp2'))).toBe(false);
  });
});
