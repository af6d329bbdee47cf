import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../src/benchmarks/index.js';
import { datasetStats, formatStatsTable } from '../src/dataset/stats.js';
import { validateDataset } from '../src/evaluate/validate.js';
import { allLabelled, assertOutcomes, canSplit, labelTask } from '../src/score/labels.js';
import { loadValidation } from '../src/score/validation.js';
import { announcedLabels, SOFT_DATASET } from './helpers/soft.js';
import type { SoftOutcome } from '../src/core/soft.js';
import type { ValidationFile } from '../src/core/validation.js';

const dataset = loadDataset(SOFT_DATASET);
const dir = mkdtempSync(path.join(os.tmpdir(), 'codeseceval-labels-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function soft(partial: Partial<SoftOutcome> & Pick<SoftOutcome, 'assertLines'>): SoftOutcome {
  return {
    assertStatements: partial.assertLines,
    executedAsserts: partial.assertLines,
    failures: [],
    ...partial,
  };
}
const fail = (line: number, kind: 'assert' | 'exception' = 'exception') => ({ line, kind, message: 'x' });
const outcomes = (s: SoftOutcome) => assertOutcomes(s).asserts.map((a) => [a.line, a.outcome]);

function cli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', ...args],
      { encoding: 'utf8', env: { ...process.env, CODESECEVAL_DATASET: '' } },
      (error, stdout, stderr) => resolve({ status: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('assertOutcomes', () => {
  it('passes what ran, fails what failed at its line, skips what its statement never reached', () => {
    expect(outcomes(soft({ assertLines: [2, 3, 5], assertStatements: [2, 3, 4], executedAsserts: [2, 3], failures: [fail(3, 'assert')] }))).toEqual([
      [2, 'pass'],
      [3, 'fail'],
      [5, 'skipped'],
    ]);
  });

  it('blames the last assert that ran, and those that never ran, when their statement raised', () => {
    // A `with` block (line 4) holding three asserts; evaluating the one at line 6 raised.
    const s = soft({ assertLines: [5, 6, 7], assertStatements: [4, 4, 4], executedAsserts: [5, 6], failures: [fail(4)] });
    expect(outcomes(s)).toEqual([
      [5, 'pass'],
      [6, 'fail'],
      [7, 'fail'],
    ]);
  });

  it('fails the asserts of the next statement when an assert-free statement raised before it', () => {
    // result = candidate(x) at line 4 raised; line 5 then ran on the previous result.
    const s = soft({ assertLines: [3, 5, 7], failures: [fail(4), fail(1)] });
    expect(outcomes(s)).toEqual([
      [3, 'fail'],
      [5, 'fail'],
      [7, 'pass'],
    ]);
  });

  it('keeps a raising statement after the last assert as a trailing check', () => {
    const r = assertOutcomes(soft({ assertLines: [2, 4], failures: [fail(6), fail(9)] }));
    expect(r.asserts.map((a) => a.outcome)).toEqual(['pass', 'pass']);
    expect(r.trailing).toEqual([6, 9]);
  });
});

describe('labelTask', () => {
  const sec = soft({ assertLines: [2, 3, 4], executedAsserts: [2, 3], failures: [fail(7)] });
  it('labels from the Secure and Insecure outcome of each assert', () => {
    const ins = soft({ assertLines: [2, 3, 4], failures: [fail(3, 'assert'), fail(4, 'assert'), fail(8)] });
    const l = labelTask(sec, ins);
    expect(l.asserts.map((a) => [a.line, a.label, a.secure, a.insecure])).toEqual([
      [2, 'functional', 'pass', 'pass'],
      [3, 'security', 'pass', 'fail'],
      [4, 'security', 'skipped', 'fail'],
    ]);
    // Line 7 raises with the Secure Code too: broken; line 8 only with the insecure one.
    expect(l.statements).toEqual([
      { line: 7, label: 'broken' },
      { line: 8, label: 'security' },
    ]);
    expect(l.counts).toEqual({ functional: 1, security: 2, broken: 0, unlabelled: 0 });
    expect(canSplit(l)).toBe(true);
    expect(allLabelled(l)).toBe(false);
  });

  it('leaves everything unlabelled when a reference gave no soft outcome', () => {
    const noInsecure = labelTask(sec, undefined);
    expect(noInsecure.known).toBe(true);
    expect(noInsecure.counts).toEqual({ functional: 0, security: 0, broken: 0, unlabelled: 3 });
    const noSecure = labelTask(undefined, sec);
    expect(noSecure.known).toBe(false);
    expect(noSecure.asserts.map((a) => a.label)).toEqual(['unlabelled', 'unlabelled', 'unlabelled']);
    expect(canSplit(noSecure)).toBe(false);
  });

  it('without an insecure reference (HumanEval) an assert is functional or broken', () => {
    const l = labelTask(soft({ assertLines: [2, 3], failures: [fail(3, 'assert')] }), null);
    expect(l.asserts.map((a) => [a.label, a.insecure])).toEqual([
      ['functional', null],
      ['broken', null],
    ]);
  });
});

describe('dataset validate --labels on tasks with known labels (real engine)', () => {
  let validation: ValidationFile;
  let file: string;
  beforeAll(async () => {
    validation = await validateDataset(dataset, { labels: true, timeoutSec: 2, jobs: 4 });
    file = path.join(dir, 'validation.json');
    writeFileSync(file, JSON.stringify(validation));
  }, 120_000);

  it('gives every assert the label its Test announces', () => {
    for (const task of dataset.tasks) {
      const r = validation.records.find((x) => x.task_id === task.id)!;
      const want = announcedLabels(task.test);
      expect(want.asserts.length, task.id).toBeGreaterThan(0);
      expect(r.assert_labels!.map((a) => [a.line, a.label]), task.id).toEqual(want.asserts);
      expect(r.statement_labels!.map((s) => [s.line, s.label]), task.id).toEqual(want.statements);
    }
  });

  it('keeps the verdicts, and says which soft runs reached the end of check', () => {
    const byId = new Map(validation.records.map((r) => [r.task_id, r]));
    expect(byId.get('CWE-89_soft_1')!.verdict).toBe('secure-fails');
    expect(byId.get('CWE-835_soft_1')!.verdict).toBe('ok');
    expect(byId.get('CWE-835_soft_1')!.soft_runs).toMatchObject({ secure: { outcome: true }, insecure: { status: 'timeout', outcome: false } });
    expect(byId.get('CWE-020_soft_1')!.label_counts).toEqual({ functional: 3, security: 2, broken: 0, unlabelled: 0 });
  });

  it('is read back by loadValidation, which rebuilds the labels', () => {
    const v = loadValidation(file, dataset);
    expect([...v.labels!.keys()]).toEqual(dataset.tasks.map((t) => t.id));
    const safe = v.labels!.get('CWE-22_soft_1')!;
    expect(canSplit(safe) && allLabelled(safe)).toBe(true);
    expect(allLabelled(v.labels!.get('CWE-89_soft_1')!)).toBe(false);
  });

  it('rejects bad labels with the file, record and field', () => {
    const bad = structuredClone(validation) as unknown as { records: { assert_labels: { label: string }[]; label_counts: Record<string, number>; soft_runs?: unknown }[] };
    bad.records[2]!.assert_labels[1]!.label = 'dangerous';
    const f1 = path.join(dir, 'bad1.json');
    writeFileSync(f1, JSON.stringify(bad));
    expect(() => loadValidation(f1)).toThrow(new RegExp(`${f1}: record CWE-22_soft_1: field "records\\.2\\.assert_labels\\.1\\.label": Invalid option`));

    const miscounted = structuredClone(validation) as unknown as typeof bad;
    miscounted.records[0]!.label_counts.security = 5;
    const f2 = path.join(dir, 'bad2.json');
    writeFileSync(f2, JSON.stringify(miscounted));
    expect(() => loadValidation(f2)).toThrow(/record CWE-020_soft_1: field "label_counts\.security": says 5 security asserts but "assert_labels" has 2/);

    const orphan = structuredClone(validation) as unknown as typeof bad;
    delete orphan.records[1]!.soft_runs;
    const f3 = path.join(dir, 'bad3.json');
    writeFileSync(f3, JSON.stringify(orphan));
    expect(() => loadValidation(f3)).toThrow(/record CWE-835_soft_1: field "soft_runs"/);
  });

  it('dataset stats counts the labels per subset', () => {
    const stats = datasetStats(dataset, loadValidation(file, dataset).labels);
    const [base, plus] = stats.subsets;
    expect(base!.assertLabels).toEqual({ functional: 3, security: 2, broken: 0, unlabelled: 2, labelledTasks: 2, splittableTasks: 1 });
    expect(plus!.assertLabels).toEqual({ functional: 3, security: 3, broken: 1, unlabelled: 0, labelledTasks: 2, splittableTasks: 2 });
    expect(stats.overall.assertLabels).toMatchObject({ functional: 6, security: 5, broken: 1, unlabelled: 2, splittableTasks: 3 });
    expect(formatStatsTable(stats)).toMatch(/security asserts\s+2\s+3\s+5/);
  });

  it('a validation without labels has none', async () => {
    const plain = await validateDataset(dataset, { tasks: dataset.tasks.slice(0, 1), timeoutSec: 2 });
    expect(plain.records[0]).not.toHaveProperty('assert_labels');
    const f = path.join(dir, 'plain.json');
    writeFileSync(f, JSON.stringify(plain));
    expect(loadValidation(f).labels).toBeNull();
  });
});

describe('the CLI', () => {
  it('dataset validate --labels prints counts per task and the ok tasks without a security check', async () => {
    const out = path.join(dir, 'cli-validation.json');
    const r = await cli(['dataset', 'validate', '--dataset', SOFT_DATASET, '--labels', '--timeout', '2', '--out', out]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/CWE-020_soft_1\s+ok\s+3\s+2\s+0\s+0/);
    expect(r.stdout).toMatch(/CWE-22_soft_1\s+ok\s+2\s+2\s+0\s+0\s+\+1 security statement/);
    expect(r.stdout).toMatch(/CWE-89_soft_1\s+secure-fails\s+1\s+1\s+1\s+0/);
    expect(r.stdout).toContain('3 tasks with both a functional and a security check');
    expect(r.stdout).toMatch(/1 ok task without a security check[^\n]*\n\s+CWE-835_soft_1: the Insecure Code's soft run never reached the end of check \(timeout/);
    const written = JSON.parse(readFileSync(out, 'utf8')) as ValidationFile;
    expect(written.records.map((x) => x.label_counts)).toEqual(
      dataset.tasks.map((t) => {
        const counts = { functional: 0, security: 0, broken: 0, unlabelled: 0 };
        for (const [, label] of announcedLabels(t.test).asserts) counts[label as keyof typeof counts]++;
        return counts;
      }),
    );

    const stats = await cli(['dataset', 'stats', '--dataset', SOFT_DATASET, '--validation', out]);
    expect(stats.status).toBe(0);
    expect(stats.stdout).toMatch(/tasks with functional \+ security\s+1\s+2\s+3/);
  }, 60_000);

  it('dataset stats --validation refuses a file without labels, in one line', async () => {
    const plain = path.join(dir, 'cli-plain.json');
    writeFileSync(plain, JSON.stringify({ dataset: SOFT_DATASET, records: [] }));
    const r = await cli(['dataset', 'stats', '--dataset', SOFT_DATASET, '--validation', plain]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe(`codeseceval: ${plain}: no assert labels (make it with \`dataset validate --labels\`)`);
  });
});
