import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll,  expect, it } from 'vitest';
import { loadDataset } from '../src/benchmarks/index.js';
import type { Dataset } from '../src/core/task.js';
import { evaluateSamples } from '../src/evaluate/evaluate.js';
import { validateDataset } from '../src/evaluate/validate.js';
import { buildReport, type Report } from '../src/report/index.js';
import type { SampleJudgement } from '../src/score/judge.js';
import { labelSummary } from '../src/score/label-table.js';
import { canSplit } from '../src/score/labels.js';
import type { ResultSet } from '../src/score/tally.js';
import { loadValidation, type Validation } from '../src/score/validation.js';
import { CODESECEVAL_DIR, describeWithDataset } from './helpers/datasets.js';

// Labels from the upstream data, checked against a second, independent evaluation of the same
// reference programs as if they were model samples.
let dataset: Dataset;
const dir = mkdtempSync(path.join(os.tmpdir(), 'codeseceval-labels-real-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * ok tasks whose Insecure Code fails no assert that the Secure Code passes. Both stop before
 * check finishes, so the soft run has nothing to report: CWE-835_author_1 loops until the
 * timeout, and the Insecure Code of CWE-730_codeql_1 uses a Flask `app` it never defines.
 */
const OK_WITHOUT_SECURITY_CHECK = ['CWE-835_author_1', 'CWE-730_codeql_1'];

let validation: Validation;
let report: Report;
let results: ResultSet;
const judgement = (experiment: string, taskId: string): SampleJudgement | null | undefined =>
  results.runs.find((r) => r.experiment === experiment)!.tasks.get(taskId)!.samples[0]!.judgement;

beforeAll(async () => {
  dataset = loadDataset(CODESECEVAL_DIR);
  const v = await validateDataset(dataset, { labels: true, timeoutSec: 10 });
  const file = path.join(dir, 'validation.json');
  writeFileSync(file, JSON.stringify(v));
  validation = loadValidation(file, dataset);
  const samples = path.join(dir, 'samples.jsonl');
  const lines = dataset.tasks.flatMap((t) => [
    { task_id: t.id, solution: t.secureCode, model: 'reference', experiment: 'secure-code' },
    { task_id: t.id, solution: t.insecureCode, model: 'reference', experiment: 'insecure-code' },
  ]);
  writeFileSync(samples, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  const out = path.join(dir, 'results.jsonl');
  await evaluateSamples({ samplesFile: samples, outFile: out, dataset, soft: true, timeoutSec: 10 });
  report = await buildReport({ resultsFiles: [out], dataset, validation, ks: [1], drilldown: Infinity });
  results = report.results;
}, 900_000);

describeWithDataset('assert labels on the upstream dataset', () => {
  const ok = () => validation.data.records.filter((r) => r.verdict === 'ok').map((r) => r.task_id);

  it('labels every record, and no assert of an ok task is broken or unknown but for the two without an outcome', () => {
    expect(validation.labels!.size).toBe(180);
    for (const id of ok()) {
      const l = validation.labels!.get(id)!;
      expect(l.known, id).toBe(true);
      expect(l.counts.broken, id).toBe(0);
      if (!OK_WITHOUT_SECURITY_CHECK.includes(id)) expect(l.counts.unlabelled, id).toBe(0);
    }
  });

  it('the Secure Code is functional and secure on every ok task', () => {
    expect(ok().length).toBeGreaterThan(150);
    for (const id of ok()) expect(judgement('secure-code', id), id).toMatchObject({ ran: true, functional: true, secure: true });
  });

  it('the Insecure Code fails a security check on every ok task that has one', () => {
    for (const id of ok()) {
      if (OK_WITHOUT_SECURITY_CHECK.includes(id)) continue;
      const j = judgement('insecure-code', id)!;
      expect(j.failedSecurity.length, id).toBeGreaterThan(0);
      expect(j.secure, id).toBe(false);
    }
  });

  it('names the ok tasks without a security check, and why', () => {
    const s = labelSummary(validation.data.records);
    expect(s.okWithoutSecurity.map((t) => t.taskId).sort()).toEqual([...OK_WITHOUT_SECURITY_CHECK].sort());
    for (const t of s.okWithoutSecurity) expect(t.why, t.taskId).toMatch(/soft run never reached the end of check/);
    for (const id of OK_WITHOUT_SECURITY_CHECK) {
      // Their Insecure Code still fails the plain run, and as a sample it is judged wrong, not insecure.
      expect(validation.data.records.find((r) => r.task_id === id)!.insecure!.status, id).not.toBe('passed');
      expect(judgement('insecure-code', id), id).toMatchObject({ ran: false, verdict: 'wrong', failedSecurity: [] });
    }
  });

  it('func-sec@1 equals pass@1 of the references on every task whose asserts are all labelled', () => {
    for (const experiment of ['secure-code', 'insecure-code']) {
      const split = report.split!.runs.find((r) => r.experiment === experiment)!;
      const scored = report.scores.runs.find((r) => r.experiment === experiment)!;
      const full = split.tasks.filter((t) => t.allLabelled);
      expect(full.length).toBeGreaterThan(150);
      for (const t of full) expect(t.funcSecAtK, `${experiment} ${t.taskId}`).toEqual(scored.tasks.find((x) => x.taskId === t.taskId)!.passAtK);
    }
  });

  it('most tasks can split wrong from insecure', () => {
    const splittable = [...validation.labels!.values()].filter(canSplit).length;
    expect(splittable).toBe(report.split!.splittableTasks);
    expect(splittable).toBeGreaterThan(90);
  });
});
