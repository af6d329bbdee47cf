import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { benchmarkOf, loadDataset, taskJob } from '../src/benchmarks/index.js';
import { UserError } from '../src/core/errors.js';
import type { ExecResult } from '../src/core/exec.js';
import type { TestCaseOutcome } from '../src/core/result.js';
import { datasetIdentity } from '../src/evaluate/environment.js';
import { classifyInsecureOnly, validateDataset } from '../src/evaluate/validate.js';
import { CWEVAL_DIR, SALLM_DIR, describeWithCweval, describeWithSallm } from './helpers/datasets.js';

const FIXTURES = path.resolve(import.meta.dirname, 'fixtures');
const SALLM_MINI = path.join(FIXTURES, 'sallm-mini');
const CWEVAL_MINI = path.join(FIXTURES, 'cweval-mini');

const temps: string[] = [];
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});
function copy(dir: string): string {
  const t = mkdtempSync(path.join(os.tmpdir(), 'cse-testfile-'));
  temps.push(t);
  const to = path.join(t, path.basename(dir));
  cpSync(dir, to, { recursive: true });
  return to;
}

describe('SALLM layout', () => {
  it('loads upstream IDs without .py, techniques as subsets, and lists records without a test file', () => {
    const ds = loadDataset(SALLM_MINI);
    expect(ds.kind).toBe('sallm');
    expect(ds.tasks.map((t) => [t.id, t.subset, t.module, t.entryPoint, t.cweGroup])).toEqual([
      ['Assertion_Author_A_cwe020_9', 'Assertion', 'A_cwe020_9', 'match_host', 'CWE-20'],
      ['Tainted_Author_A_cwe079_9', 'Tainted', 'A_cwe079_9', 'hello', 'CWE-79'],
    ]);
    expect(ds.untestable).toEqual([{ id: 'Assertion_Author_A_cwe306_9', reason: 'no test file PythonDataset/Assertion/Author/test_A_cwe306_9.py' }]);
    // No secure reference: reference:secure is refused for it, reference:insecure is its module.
    expect(ds.tasks[0]!.secureCode).toBe('');
    expect(ds.tasks[0]!.insecureCode).toContain("re.match(r'.*example.com'");
    // The PythonDataset folder itself is SALLM's too, not a HumanEval file.
    const inner = loadDataset(path.join(SALLM_MINI, 'PythonDataset'));
    expect(inner.kind).toBe('sallm');
    expect(inner.tasks.map((t) => t.id)).toEqual(ds.tasks.map((t) => t.id));
  });

  it("ships the folder's shared fixtures, never another task's module, test or pins", () => {
    const ds = loadDataset(SALLM_MINI);
    const job = taskJob(ds.tasks[0]!, 'x = 1\n');
    expect(job).toMatchObject({ harness: 'test-file', framework: 'unittest', module: 'A_cwe020_9', testFile: 'test_A_cwe020_9.py' });
    expect(job.fixtures?.files.map((f) => f.path)).toEqual(['assets/hosts.txt']);
    // A folder with only task files has no fixtures.
    expect(taskJob(ds.tasks[1]!, 'x = 1\n').fixtures).toBeNull();
  });

  it('changes the content hash when only a test file changes', () => {
    const a = copy(SALLM_MINI);
    const before = datasetIdentity(loadDataset(a)).content_sha256;
    const test = path.join(a, 'PythonDataset', 'Tainted', 'Author', 'test_A_cwe079_9.py');
    writeFileSync(test, `${readFileSync(test, 'utf8')}\n# edited\n`);
    const b = copy(a);
    expect(datasetIdentity(loadDataset(b)).content_sha256).not.toBe(before);
  });

  it('refuses a record whose id does not name its technique and source, in one line', () => {
    const a = copy(SALLM_MINI);
    const file = path.join(a, 'PythonDataset', 'dataset.jsonl');
    writeFileSync(file, readFileSync(file, 'utf8').replace('"Assertion_Author_A_cwe020_9.py"', '"Tainted_Author_A_cwe020_9.py"'));
    expect(() => loadDataset(a)).toThrow(UserError);
    expect(() => loadDataset(a)).toThrow(/dataset\.jsonl:1: .*does not start with "Assertion_Author_"/);
  });
});

describe('CWEval layout', () => {
  it('takes the prompt above # BEGIN SOLUTION, the whole file as the secure reference, and IDs without _task', () => {
    const ds = loadDataset(CWEVAL_MINI);
    expect(ds.kind).toBe('cweval');
    expect(ds.tasks.map((t) => t.id)).toEqual(['cwe_020_9']);
    expect(ds.untestable).toEqual([{ id: 'cwe_078_9', reason: 'no test file cwe_078_9_test.py' }]);
    const t = ds.tasks[0]!;
    expect(t.problem.endsWith('    """\n')).toBe(true);
    expect(t.problem).not.toContain('BEGIN SOLUTION');
    expect(t).toMatchObject({ entryPoint: 'get_target_for_redirect', module: 'cwe_020_9_task', cwes: ['CWE-20'], insecureCode: null });
    expect(taskJob(t, 'x = 1\n')).toMatchObject({ harness: 'test-file', framework: 'pytest', testFile: 'cwe_020_9_test.py' });
    // The folder of task files itself is recognised too.
    expect(loadDataset(path.join(CWEVAL_MINI, 'benchmark', 'core', 'py')).tasks).toHaveLength(1);
  });

  it('refuses a task file without its solution marker, naming the file', () => {
    const a = copy(CWEVAL_MINI);
    const file = path.join(a, 'benchmark', 'core', 'py', 'cwe_020_9_task.py');
    writeFileSync(file, readFileSync(file, 'utf8').replace('# BEGIN SOLUTION', '# solution'));
    let err: unknown;
    try {
      loadDataset(a);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toContain(file);
    expect((err as Error).message).toContain('BEGIN SOLUTION');
  });

  it('changes the content hash when only a pytest file changes', () => {
    const a = copy(CWEVAL_MINI);
    const before = datasetIdentity(loadDataset(a)).content_sha256;
    const test = path.join(a, 'benchmark', 'core', 'py', 'cwe_020_9_test.py');
    writeFileSync(test, `${readFileSync(test, 'utf8')}\n# edited\n`);
    expect(datasetIdentity(loadDataset(copy(a))).content_sha256).not.toBe(before);
  });
});

describe('validation of an insecure-only reference (SALLM)', () => {
  const task = loadDataset(SALLM_MINI).tasks[0]!;
  const run = (status: ExecResult['status'], cases?: TestCaseOutcome[], extra: Partial<ExecResult> = {}): ExecResult => ({
    status, detail: 'd', durationMs: 1, stdoutTail: '', stderrTail: '', ...(cases ? { cases } : {}), ...extra,
  });
  const f = (outcome: TestCaseOutcome['outcome']): TestCaseOutcome => ({ name: 'test_correctness', role: 'functionality', outcome });
  const s = (outcome: TestCaseOutcome['outcome']): TestCaseOutcome => ({ name: 'test_vulnerability', role: 'security', outcome });

  it.each([
    ['ok', run('failed', [f('passed'), s('failed')])],
    ['ok', run('error', [f('passed'), s('error')])],
    ['insecure-passes', run('passed', [f('passed'), s('passed')])],
    ['functionality-fails', run('failed', [f('failed'), s('failed')])],
    ['both-wrong', run('failed', [f('failed'), s('passed')])],
    ['functionality-fails', run('error', undefined, { network: true })],
    ['functionality-fails', run('failed', [s('failed')])],
  ] as const)('%s', (verdict, r) => {
    const rec = classifyInsecureOnly(task, r);
    expect(rec.verdict).toBe(verdict);
    expect(rec.secure).toBeNull();
    if (verdict !== 'ok') expect(rec.reason).toMatch(/\S/);
  });

  it('runs the mini data sets end to end: SALLM by its insecure module, CWEval by its reference solution', async () => {
    const sallm = await validateDataset(loadDataset(SALLM_MINI), { jobs: 2 });
    expect(sallm.records.map((r) => `${r.task_id} ${r.verdict}`)).toEqual(['Assertion_Author_A_cwe020_9 ok', 'Tainted_Author_A_cwe079_9 ok']);
    expect(sallm.untestable).toHaveLength(1);
    const cweval = await validateDataset(loadDataset(CWEVAL_MINI), { jobs: 2 });
    expect(cweval.records.map((r) => `${r.task_id} ${r.verdict}`)).toEqual(['cwe_020_9 ok']);
  });
});

describeWithSallm('SALLM upstream data', () => {
  it('loads 93 testable tasks and lists the 7 records without a test file', () => {
    const ds = loadDataset(SALLM_DIR);
    expect(ds.tasks).toHaveLength(93);
    expect(ds.untestable).toHaveLength(7);
    expect(ds.byId.get('Assertion_Author_A_cwe502_0')?.module).toBe('A_cwe502_0');
    expect(benchmarkOf('sallm').dataFiles(ds.source).files.length).toBeGreaterThan(300);
  });
});

describeWithCweval('CWEval upstream data', () => {
  it('loads its 25 Python tasks, each with a pytest file', () => {
    const ds = loadDataset(CWEVAL_DIR);
    expect(ds.tasks).toHaveLength(25);
    expect(ds.untestable).toEqual([]);
    expect(ds.byId.get('cwe_078_0')).toMatchObject({ module: 'cwe_078_0_task', entryPoint: 'get_ls_result' });
  });
});

describe('dataset stats of a test-file benchmark', () => {
  it('counts per technique, source and CWE, has no secure-code figure for SALLM, and lists untestable records', async () => {
    const { datasetStats, formatStatsTable } = await import('../src/dataset/stats.js');
    const stats = datasetStats(loadDataset(SALLM_MINI));
    expect(stats.subsets.map((s) => `${s.subset} ${s.records}`)).toEqual(['Assertion 1', 'Tainted 1']);
    expect(stats.perCwe).toEqual({ 'CWE-20': 1, 'CWE-79': 1 });
    expect(stats.perOrigin).toEqual({ Author: 2 });
    expect(stats.overall.meanSecureCodeLines).toBeNull();
    // unittest's self.assert...() calls are the asserts of a SALLM test.
    expect(stats.overall.meanTestAsserts).toBe(3);
    const text = formatStatsTable(stats);
    expect(text).toContain('untestable records (1, not counted above):');
    expect(text).toContain('Assertion_Author_A_cwe306_9: no test file');
  });
});

describe('feedback on a test-file run', () => {
  it('names the failed cases and their roles, an exception by its type, never an assertion message', async () => {
    const { testReport } = await import('../src/experiments/feedback-text.js');
    const r: ExecResult = {
      status: 'error',
      detail: '2 of 3 test cases failed',
      durationMs: 1,
      stdoutTail: '',
      stderrTail: '',
      cases: [
        { name: 'test_A.T.test_correctness', role: 'functionality', outcome: 'passed' },
        { name: 'test_A.T.test_vulnerability', role: 'security', outcome: 'failed', detail: 'AssertionError: 200 != 500 : secret hint' },
        { name: 'test_A.T.test_other', role: null, outcome: 'error', detail: 'KeyError: "name"' },
      ],
    };
    const text = testReport(r, '');
    expect(text).toBe(
      [
        "Result: failed. 2 of 3 test case(s) of the hidden test failed (the test's source is not shown):",
        '- test_A.T.test_vulnerability (a security check)',
        '- test_A.T.test_other: raised KeyError',
      ].join('\n'),
    );
    expect(testReport({ ...r, status: 'passed', cases: [r.cases![0]!] }, '')).toBe('Result: passed. All 1 test case(s) of the hidden test passed.');
  });
});
