import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readExistingSamples } from '../../src/generate/samples-file.js';

const line = (task: string, i: number, extra: object = {}) =>
  JSON.stringify({ task_id: task, experiment: 'direct-generation', model: 'm', sample_index: i, error: null, solution: 'x', ...extra });

describe('resuming generate from its samples file', () => {
  it('refuses a file that repeats a sample, naming both lines, and leaves it as it is', () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'cse-gen-file-')), 'samples.jsonl');
    const text = [line('A', 0), line('B', 0), line('A', 0, { solution: 'y' })].join('\n') + '\n';
    writeFileSync(file, text);
    expect(() => readExistingSamples(file)).toThrow(/samples\.jsonl:3: repeats sample A #0 of m \/ direct-generation \(first at line 1\)/);
    expect(readFileSync(file, 'utf8')).toBe(text);
  });

  it('keeps every sample of a good file and drops only a torn last line', () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'cse-gen-file-')), 'samples.jsonl');
    writeFileSync(file, `${line('A', 0)}\n${line('A', 1)}\n{"task_id":"A","exper`);
    const r = readExistingSamples(file);
    expect(r.done.size).toBe(2);
    expect(r.droppedPartialLine).toBe(true);
    expect(readFileSync(file, 'utf8')).toBe(`${line('A', 0)}\n${line('A', 1)}\n`);
  });
});
