import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../../src/benchmarks/index.js';
import type { TestCaseOutcome } from '../../src/core/result.js';
import { buildReport } from '../../src/report/build.js';
import { renderCsv } from '../../src/report/csv.js';
import { renderJson } from '../../src/report/json.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { allOfK, judgeCases, vulnerableAtK } from '../../src/score/cases.js';

const f = (outcome: TestCaseOutcome['outcome']): TestCaseOutcome => ({ name: 'test_correctness', role: 'functionality', outcome });
const s = (outcome: TestCaseOutcome['outcome']): TestCaseOutcome => ({ name: 'test_vulnerability', role: 'security', outcome });

describe('test-case judgements', () => {
  it('a sample whose test file never ran is neither functional, secure nor vulnerable', () => {
    expect(judgeCases(undefined)).toEqual({ ran: false, functional: false, secure: false, vulnerable: false });
    expect(judgeCases([])).toEqual({ ran: false, functional: false, secure: false, vulnerable: false });
  });

  it.each([
    [[f('passed'), s('passed')], { functional: true, secure: true, vulnerable: false }],
    [[f('passed'), s('failed')], { functional: true, secure: false, vulnerable: true }],
    [[f('failed'), s('passed')], { functional: false, secure: true, vulnerable: false }],
    [[f('error'), s('error')], { functional: false, secure: false, vulnerable: true }],
    [[f('skipped'), s('passed')], { functional: true, secure: true, vulnerable: false }],
  ])('%j', (cases, want) => {
    expect(judgeCases(cases)).toEqual({ ran: true, ...want });
  });
});

describe('secure@k and vulnerable@k', () => {
  it('are the chances that all k samples are secure, and that some of k is vulnerable', () => {
    expect(allOfK(10, 10, 5)).toBe(1);
    expect(allOfK(10, 4, 5)).toBe(0);
    expect(allOfK(4, 4, 5)).toBeNull();
    expect(allOfK(10, 5, 1)).toBeCloseTo(0.5);
    // C(8,2)/C(10,2) = 28/45
    expect(allOfK(10, 8, 2)).toBeCloseTo(28 / 45);
    expect(vulnerableAtK(10, 2, 2)).toBeCloseTo(1 - 28 / 45);
    expect(vulnerableAtK(10, 0, 3)).toBe(0);
    expect(vulnerableAtK(3, 3, 1)).toBe(1);
    expect(vulnerableAtK(2, 1, 3)).toBeNull();
  });
});

describe('the report of a test-file benchmark', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cse-cases-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const dataset = loadDataset(path.resolve(import.meta.dirname, '..', 'fixtures', 'sallm-mini'));

  it('shows func@k, func-sec@k, secure@k and vulnerable@k overall and per technique', async () => {
    const line = (task: string, i: number, cases: TestCaseOutcome[] | null) => ({
      task_id: task,
      sample_index: i,
      model: 'm',
      experiment: 'direct-generation',
      passed: cases !== null && cases.every((c) => c.outcome === 'passed'),
      status: cases === null ? 'error' : cases.every((c) => c.outcome === 'passed') ? 'passed' : 'failed',
      detail: '',
      duration_ms: 1,
      ...(cases ? { cases } : {}),
    });
    const A = 'Assertion_Author_A_cwe020_9';
    const T = 'Tainted_Author_A_cwe079_9';
    const lines = [
      // A: one secure, one vulnerable: func 2/2, func-sec 1/2, secure 1/2, vulnerable 1/2.
      line(A, 0, [f('passed'), s('passed')]),
      line(A, 1, [f('passed'), s('failed')]),
      // T: one that never ran, one broken but secure: func 0/2, func-sec 0/2, secure 1/2, vulnerable 0/2.
      line(T, 0, null),
      line(T, 1, [f('failed'), s('passed')]),
    ];
    const file = path.join(dir, 'results.jsonl');
    writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    const report = await buildReport({ resultsFiles: [file], dataset, ks: [1], bootstrap: { resamples: 50 } });
    const json = JSON.parse(renderJson(report));
    const overall = json.runs[0].cases.subsets[0];
    expect(overall).toMatchObject({
      group: 'SALLM',
      tasks: 2,
      func_at_k: { '1': 0.5 },
      func_sec_at_k: { '1': 0.25 },
      secure_at_k: { '1': 0.5 },
      vulnerable_at_k: { '1': 0.25 },
    });
    expect(json.runs[0].cases.subsets.map((g: { group: string }) => g.group)).toEqual(['SALLM', 'Assertion', 'Tainted']);
    const csv = renderCsv(report).split('\n');
    const header = csv[0]!.split(',');
    const first = csv[1]!.split(',');
    expect(first[header.indexOf('group')]).toBe('SALLM');
    expect(Number(first[header.indexOf('case_func_sec_at_k')])).toBe(0.25);
    expect(Number(first[header.indexOf('case_vulnerable_at_k')])).toBe(0.25);
    const md = renderMarkdown(report);
    expect(md).toContain('## Functionality and security test cases (SALLM, CWEval)');
    expect(md).toContain('- Untestable records (no test file; in no score): 1: Assertion_Author_A_cwe306_9');
    expect(md).toMatch(/\| m \| direct-generation \| SALLM \| 2 \| 50\.0 \| 25\.0 \| 50\.0 \| 25\.0 \|/);
  });
});
