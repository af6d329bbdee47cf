import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as lib from '../src/index.js';

const MINI = path.resolve(__dirname, 'fixtures/codeseceval-mini');
const dir = mkdtempSync(path.join(os.tmpdir(), 'cse-library-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the library entry', () => {
  it("runs docs/library.md's first example: generate, evaluate, score, render", async () => {
    const { loadDataset, generateSamples, evaluateSamples, buildReport, renderReport } = lib;
    const dataset = loadDataset(MINI);
    const samples = path.join(dir, 'samples.jsonl');
    const results = path.join(dir, 'results.jsonl');
    await generateSamples({ dataset, model: 'ref=reference:secure', outFile: samples, tasks: ['CWE-79'], cacheDir: null });
    await evaluateSamples({ dataset, samplesFile: samples, outFile: results, jobs: 1 });
    const report = await buildReport({ dataset, resultsFiles: [results], ks: [1] });
    const md = await renderReport(report, 'md');
    expect(report.scores.runs.map((r) => `${r.model}/${r.experiment}`)).toEqual(['ref/direct-generation']);
    expect(md).toContain('ref');
    // What was written satisfies the contracts the library exports.
    const line = JSON.parse(readFileSync(results, 'utf8').trim());
    expect(lib.ResultLine.parse(line)).toMatchObject({ task_id: 'CWE-079_mini_1', model: 'ref', model_spec: 'reference:secure' });
  });

  it('exports the lists a caller chooses from', () => {
    expect(lib.BENCHMARKS.map((b) => b.kind)).toEqual(['codeseceval', 'sallm', 'cweval', 'humaneval']);
    expect(lib.EXECUTORS.map((e) => e.name)).toEqual(['bwrap', 'none']);
    expect(lib.REPORT_FORMATS).toEqual(['md', 'csv', 'json', 'html']);
    expect(lib.EXPERIMENT_NAMES).toContain('direct-repair');
  });

  it("runs docs/library.md's executor example: a task's own secure code passes", async () => {
    const dataset = lib.loadDataset(MINI);
    const task = dataset.tasks[0]!;
    const executor = lib.createExecutor({ sandbox: 'bwrap', jobs: 1 });
    try {
      const [result] = await executor.run([lib.taskJob(task, task.secureCode)]);
      expect(result!.status).toBe('passed');
    } finally {
      executor.close();
    }
  });

  it("reads a file as docs/library.md's last example does", async () => {
    const rows = await lib.readJsonlFile(path.join(dir, 'results.jsonl'), lib.ResultLine);
    expect(rows.map((r) => [r.line, r.value.task_id])).toEqual([[1, 'CWE-079_mini_1']]);
  });
});
