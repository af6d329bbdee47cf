import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as lib from '../src/index.js';

const MINI = path.resolve(__dirname, 'fixtures/codeseceval-mini');
const dir = mkdtempSync(path.join(os.tmpdir(), 'cse-library-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the library entry', () => {
  it("runs the README's example: generate, evaluate, score, render", async () => {
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

  it('exports the registries of every plug-in kind', () => {
    expect(lib.BENCHMARKS.map((b) => b.kind)).toEqual(['codeseceval', 'sallm', 'cweval', 'humaneval']);
    expect(lib.PROVIDERS.map((p) => p.kind)).toContain('replay');
    expect(lib.EXECUTORS.map((e) => e.name)).toEqual(['bwrap', 'none']);
    expect(lib.REPORT_FORMATS).toEqual(['md', 'csv', 'json', 'html']);
    expect(lib.ANALYZER_NAMES).toContain('bandit');
    expect(lib.strategyFor('direct-repair').name).toBe('direct-repair');
  });
});
