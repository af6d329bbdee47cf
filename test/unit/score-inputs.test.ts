import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readResults } from '../../src/report/results-file.js';
import { loadValidation } from '../../src/score/validation.js';
import { fixtureDataset, resultLines, T, tempDir, validationFor, writeJsonl } from '../helpers/report.js';
import { UserError } from '../../src/core/errors.js';
import type { Dataset } from '../../src/core/task.js';
import { ValidationFile } from '../../src/core/validation.js';

let ds: Dataset;
let dir: string;
beforeAll(() => {
  ds = fixtureDataset();
  dir = tempDir();
});

async function readError(lines: unknown[]): Promise<{ file: string; error: Error }> {
  const file = writeJsonl(path.join(dir, `bad-${Math.random().toString(36).slice(2)}.jsonl`), lines);
  try {
    await readResults([file], ds);
  } catch (e) {
    return { file, error: e as Error };
  }
  throw new Error('expected readResults to fail');
}

const good = () => resultLines({ model: 'm', experiment: 'direct-generation', counts: { [T.age]: [3, 1] } });

describe('results files', () => {
  it('names file and line for invalid JSON', async () => {
    const { file, error } = await readError([...good().slice(0, 2), '{"task_id": ', good()[2]]);
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3: invalid JSON`));
    expect(error.message.split('\n')).toHaveLength(1);
  });

  it('names the field zod rejects', async () => {
    const lines = good();
    delete lines[1]!.passed;
    const { file, error } = await readError(lines);
    expect(error.message).toContain(`${file}:2`);
    expect(error.message).toContain(`${file}:2: passed: Invalid input: expected boolean, received undefined`);
    const bad = good();
    bad[0]!.status = 'exploded';
    expect((await readError(bad)).error.message).toMatch(/:1: status: Invalid option/);
  });

  it('refuses tasks outside the dataset, duplicate samples and contradictory verdicts', async () => {
    const unknown = good();
    unknown[2]!.task_id = 'CWE-999_nope_1';
    expect((await readError(unknown)).error.message).toMatch(/:3: record CWE-999_nope_1: field "task_id": task is not in the dataset/);

    const dup = [...good(), good()[1]!];
    const { file, error } = await readError(dup);
    expect(error.message).toContain(`${file}:4`);
    expect(error.message).toContain(`duplicate sample 1 of m / direct-generation (first at ${file}:2)`);

    const contradiction = good();
    contradiction[0]!.passed = false;
    expect((await readError(contradiction)).error.message).toMatch(/:1: field "passed": "passed" is false but "status" is "passed"/);
  });

  it('says when a file cannot be read', async () => {
    await expect(readResults([path.join(dir, 'missing.jsonl')], ds)).rejects.toThrow(/missing\.jsonl: no such file/);
    await expect(readResults([], ds)).rejects.toThrow(/no results files/);
  });

  it('skips blank lines and accepts CRLF', async () => {
    const file = path.join(dir, 'crlf.jsonl');
    writeFileSync(file, good().map((l) => JSON.stringify(l)).join('\r\n\r\n') + '\r\n');
    const rs = await readResults([file], ds);
    expect(rs.runs[0]!.tasks.get(T.age)).toMatchObject({ n: 3, c: 1 });
  });

  it('keeps samples for the drill-down only when asked, in index order', async () => {
    const lines = good().reverse();
    const file = writeJsonl(path.join(dir, 'keep.jsonl'), lines);
    expect((await readResults([file], ds)).runs[0]!.tasks.get(T.age)!.samples).toEqual([]);
    const kept = (await readResults([file], ds, { keepSamples: Infinity })).runs[0]!.tasks.get(T.age)!.samples;
    expect(kept.map((s) => s.index)).toEqual([0, 1, 2]);
    expect(kept[1]).toMatchObject({ status: 'error', extraction: 'fenced-block', stderrTail: `Traceback <${T.age}> #1` });
    expect(kept[0]!.code).toContain('return 0');
  });
});

describe('validation files', () => {
  it('parses what dataset validate writes and finds the broken tasks', () => {
    const file = path.join(dir, 'validation.json');
    writeFileSync(file, JSON.stringify(validationFor({ [T.profile]: 'secure-fails', [T.read]: 'insecure-passes' })));
    const v = loadValidation(file, ds);
    expect([...v.broken.keys()]).toEqual([T.profile, T.read]);
    expect(v.broken.get(T.read)!.verdict).toBe('insecure-passes');
  });

  it('accepts a null insecure result (HumanEval) and extra fields', () => {
    const data = validationFor({}) as { records: Record<string, unknown>[] };
    data.records[0]!.insecure = null;
    data.records[0]!.asserts = { functional: 2, security: 1 };
    expect(ValidationFile.safeParse(data).success).toBe(true);
  });

  it('names file, record and field when the file is wrong', () => {
    const data = validationFor({}) as { records: Record<string, unknown>[] };
    data.records[2]!.verdict = 'fine';
    const file = path.join(dir, 'bad-validation.json');
    writeFileSync(file, JSON.stringify(data));
    expect(() => loadValidation(file, ds)).toThrow(`${file}: record ${T.profile}: field "records.2.verdict"`);

    writeFileSync(file, '{"dataset": "x", "records": [');
    expect(() => loadValidation(file, ds)).toThrow(/invalid JSON/);

    const foreign = validationFor({}) as { records: Record<string, unknown>[] };
    foreign.records[0]!.task_id = 'HumanEval/0';
    writeFileSync(file, JSON.stringify(foreign));
    expect(() => loadValidation(file, ds)).toThrow(/record HumanEval\/0: field "task_id": task is not in the dataset/);

    const twice = validationFor({}) as { records: Record<string, unknown>[] };
    twice.records.push(twice.records[0]!);
    writeFileSync(file, JSON.stringify(twice));
    expect(() => loadValidation(file, ds)).toThrow(/duplicate task_id/);
    expect(() => loadValidation(path.join(dir, 'nope.json'), ds)).toThrow(/nope\.json: no such file/);
  });
});

describe('empty input', () => {
  it('refuses results files without a single result line', async () => {
    const file = path.join(dir, 'empty.jsonl');
    writeFileSync(file, '\n\n');
    await expect(readResults([file], ds)).rejects.toThrow(`no result lines in ${file}`);
  });
});
