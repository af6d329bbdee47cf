import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { shardKey, shardOfKey } from '../../src/core/shard.js';
import type { ShardToCheck } from '../../src/merge/lines.js';
import { checkedShardsInOrder } from '../../src/merge/parallel.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'codeseceval-merge-parallel-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const COUNT = 3;
const line = (i: number) => JSON.stringify({ task_id: `T/${i % 7}`, sample_index: i, model: 'm', experiment: 'e', passed: false, status: 'failed', detail: 'x', duration_ms: 1, solution: `print(${i})\n`.repeat(1 + (i % 50)) });
// ~1.5 MB per shard, read 64 KiB at a time: many buffers per shard, more than a worker may have unwritten.
const byShard: string[][] = [[], [], []];
for (let i = 0; i < 6000; i++) byShard[shardOfKey(shardKey({ task_id: `T/${i % 7}`, model: 'm', experiment: 'e' }, i), COUNT)]!.push(line(i));
const files = byShard.map((lines, index) => {
  const file = path.join(dir, `results.shard-${index}-of-${COUNT}.jsonl`);
  // A blank line now and then, which merging leaves out.
  writeFileSync(file, lines.map((l, k) => (k % 1000 === 999 ? `${l}\n\n` : `${l}\n`)).join(''));
  return file;
});
const inputs = (list: string[]): ShardToCheck[] => list.map((file, index) => ({ file, shard: { index, count: COUNT }, kind: 'results', chunkSize: 64 * 1024 }));

async function merged(list: string[], workers: number): Promise<{ text: string; lines: number[] }> {
  const parts: Buffer[] = [];
  const lines: number[] = [];
  for await (const chunk of checkedShardsInOrder(inputs(list), (k, n) => (lines[k] = n), workers)) parts.push(Buffer.from(chunk));
  return { text: Buffer.concat(parts).toString('utf8'), lines };
}

describe('checking shards on worker threads', () => {
  it('hands back every checked line in shard order, the same with one thread or several', async () => {
    const want = byShard.map((lines) => lines.map((l) => `${l}\n`).join('')).join('');
    for (const workers of [1, 2, 3]) {
      const got = await merged(files, workers);
      expect(got.lines).toEqual(byShard.map((l) => l.length));
      expect(got.text === want).toBe(true);
    }
  }, 60_000);

  it('reports the first problem in shard order, whichever thread found it first', async () => {
    const bad = files.map((f, k) => {
      const copy = path.join(dir, `bad-${k}.jsonl`);
      const text = readFileSync(f, 'utf8');
      // Shard 1 is broken near its end, shard 2 at its start: shard 2's thread finds its problem first.
      writeFileSync(copy, k === 0 ? text : k === 1 ? `${text}{"task_id":\n` : `{}\n${text}`);
      return copy;
    });
    for (const workers of [1, 3]) await expect(merged(bad, workers)).rejects.toThrow(/bad-1\.jsonl:\d+: invalid JSON/);
  }, 60_000);
});
