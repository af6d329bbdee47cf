import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { evaluateSamples } from '../src/evaluate/evaluate.js';
import { makeTask } from './helpers/task.js';
import type { Dataset, Task } from '../src/core/task.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'codeseceval-eval-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const add = makeTask({
  id: 'T/add',
  fixtureName: 'T_add',
  problem: 'def add(a, b):\n    """Return a + b."""\n',
  entryPoint: 'add',
  test: 'def check(candidate):\n    assert candidate(2, 3) == 5\n',
});
const neg = makeTask({ id: 'T/neg', fixtureName: 'T_neg', entryPoint: 'neg', test: 'def check(candidate):\n    assert candidate(2) == -2\n' });
const dataset: Dataset = { kind: 'codeseceval', source: 'test', tasks: [add, neg], byId: new Map<string, Task>([[add.id, add], [neg.id, neg]]) };

function write(name: string, lines: (object | string)[]): string {
  const file = path.join(dir, name);
  writeFileSync(file, lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n');
  return file;
}
const readResults = (file: string) => readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));

describe('evaluateSamples', () => {
  it('writes one result per sample, as each finishes, keeping every input field', async () => {
    const samples = write('s1.jsonl', [
      { task_id: 'T/add', completion: '    return a + b\n', model: 'm1' },
      { task_id: 'T/neg', solution: 'def neg(x):\n    return x\n' },
      { task_id: 'T/add', solution: 'def add(a, b):\n    return a - b\n', extra: { nested: true } },
      { task_id: 'T/neg', solution: 'def neg(x):\n    return -x\n' },
    ]);
    const out = path.join(dir, 'r1.jsonl');
    const summary = await evaluateSamples({ samplesFile: samples, outFile: out, dataset, jobs: 2 });
    // Lines come in the order samples finish; readers key them by sample.
    const rs = readResults(out).sort((a, b) => a.task_id.localeCompare(b.task_id) || a.sample_index - b.sample_index);
    expect(rs.map((r) => [r.task_id, r.sample_index, r.passed, r.status])).toEqual([
      ['T/add', 0, true, 'passed'],
      ['T/add', 1, false, 'failed'],
      ['T/neg', 0, false, 'failed'],
      ['T/neg', 1, true, 'passed'],
    ]);
    expect(rs[0].model).toBe('m1');
    expect(rs[1].extra).toEqual({ nested: true });
    for (const r of rs) expect(typeof r.duration_ms).toBe('number');
    expect(summary.counts.passed).toBe(2);
  });

  it('refuses a samples file that repeats a sample, naming both lines, before any output exists', async () => {
    const samples = write('s-repeat.jsonl', [
      { task_id: 'T/add', sample_index: 3, completion: '    return a + b\n', model: 'm', experiment: 'e' },
      { task_id: 'T/neg', sample_index: 3, solution: 'def neg(x):\n    return -x\n', model: 'm', experiment: 'e' },
      { task_id: 'T/add', sample_index: 3, completion: '    return b + a\n', model: 'm', experiment: 'e' },
    ]);
    const out = path.join(dir, 'r-repeat.jsonl');
    await expect(evaluateSamples({ samplesFile: samples, outFile: out, dataset, jobs: 1 })).rejects.toThrow(
      /s-repeat\.jsonl:3: repeats sample T\/add #3 of m \/ e \(first at line 1\)/,
    );
    expect(existsSync(out)).toBe(false);
  });

  it('keeps a sample_index given by the input', async () => {
    const samples = write('s2.jsonl', [{ task_id: 'T/add', sample_index: 7, completion: '    return a + b\n' }]);
    const out = path.join(dir, 'r2.jsonl');
    await evaluateSamples({ samplesFile: samples, outFile: out, dataset, jobs: 1 });
    expect(readResults(out)[0].sample_index).toBe(7);
  });

  it.each([
    ['malformed JSON', ['{"task_id": "T/add", "solution": "x"}', '{oops'], /s-bad\.jsonl:2: invalid JSON/],
    ['unknown task_id', [{ task_id: 'T/add', solution: 'x' }, { task_id: 'nope', solution: 'x' }], /:2: task_id: unknown task "nope"/],
    ['no program', [{ task_id: 'T/add' }], /:1: solution: needs "solution" or "completion"/],
    ['wrong type', [{ task_id: 'T/add', solution: 3 }], /:1: solution: Invalid input/],
  ])('rejects %s with the line number, before running anything', async (_, lines, message) => {
    const samples = write('s-bad.jsonl', lines as (object | string)[]);
    const out = path.join(dir, 'r-bad.jsonl');
    writeFileSync(out, 'earlier results\n');
    await expect(evaluateSamples({ samplesFile: samples, outFile: out, dataset, jobs: 1 })).rejects.toThrow(message);
    // Nothing already there is lost.
    expect(readFileSync(out, 'utf8')).toBe('earlier results\n');
  });

  it('resumes: keeps the valid prefix of an interrupted results file and redoes the rest', async () => {
    const lines = [
      { task_id: 'T/add', completion: '    return a + b\n' },
      { task_id: 'T/neg', solution: 'def neg(x):\n    return -x\n' },
      { task_id: 'T/add', solution: 'def add(a, b):\n    return 0\n' },
    ];
    const samples = write('s3.jsonl', lines);
    const out = path.join(dir, 'r3.jsonl');
    await evaluateSamples({ samplesFile: samples, outFile: out, dataset, jobs: 1 });
    const full = readResults(out);
    // Simulate a crash: first result kept but marked, second torn mid-line.
    const marked = { ...full[0], marker: 'kept' };
    writeFileSync(out, `${JSON.stringify(marked)}\n${JSON.stringify(full[1]).slice(0, 20)}`);
    const summary = await evaluateSamples({ samplesFile: samples, outFile: out, dataset, jobs: 1 });
    expect(summary.resumed).toBe(1);
    const again = readResults(out);
    expect(again).toHaveLength(3);
    expect(again[0].marker).toBe('kept');
    expect(again.map((r) => r.passed)).toEqual(full.map((r) => r.passed));
  });

  it('refuses a results file of other samples, leaving it untouched, and starts over with fresh', async () => {
    const samples = write('s4.jsonl', [{ task_id: 'T/neg', solution: 'def neg(x):\n    return -x\n' }]);
    const out = path.join(dir, 'r4.jsonl');
    const other = `${JSON.stringify({ task_id: 'T/add', sample_index: 0, passed: true, status: 'passed', detail: '', duration_ms: 1, solution: 'other' })}\n`;
    writeFileSync(out, other);
    await expect(evaluateSamples({ samplesFile: samples, outFile: out, dataset, jobs: 1 })).rejects.toThrow(
      /r4\.jsonl: line 1 is not a result of a sample of .*no sample T\/add #0 .*pass --fresh/,
    );
    expect(readFileSync(out, 'utf8')).toBe(other);
    const summary = await evaluateSamples({ samplesFile: samples, outFile: out, dataset, jobs: 1, fresh: true });
    expect(summary.resumed).toBe(0);
    expect(readResults(out).map((r) => r.task_id)).toEqual(['T/neg']);
  });
});

describe('soft-assert mode', () => {
  it('adds every failing statement of check, while the verdict stays the normal run\'s', async () => {
    const t = makeTask({
      id: 'T/soft',
      fixtureName: 'T_soft',
      entryPoint: 'f',
      test: [
        'def check(candidate):',
        '    assert candidate(1) == 1',
        '    assert candidate(2) == 3, "two"',
        '    for x in (3, 4):',
        '        assert candidate(x) == x',
        '    candidate(None) + 1',
        '    assert candidate(5) == 6',
        '',
      ].join('\n'),
    });
    const ds: Dataset = { kind: 'codeseceval', source: 'test', tasks: [t], byId: new Map([[t.id, t]]) };
    const samples = write('s-soft.jsonl', [{ task_id: 'T/soft', solution: 'def f(x):\n    return x\n' }]);
    const out = path.join(dir, 'r-soft.jsonl');
    await evaluateSamples({ samplesFile: samples, outFile: out, dataset: ds, jobs: 2, soft: true });
    const [r] = readResults(out);
    expect(r.status).toBe('failed');
    expect(r.detail).toContain('line 3');
    expect(r.soft.assertLines).toEqual([2, 3, 5, 7]);
    expect(r.soft.assertStatements).toEqual([2, 3, 4, 7]);
    expect(r.soft.executedAsserts).toEqual([2, 3, 5, 7]);
    expect(r.soft.failures).toEqual([
      { line: 3, kind: 'assert', message: 'two' },
      { line: 6, kind: 'exception', message: "TypeError: unsupported operand type(s) for +: 'NoneType' and 'int'" },
      { line: 7, kind: 'assert', message: '' },
    ]);
  });
});
