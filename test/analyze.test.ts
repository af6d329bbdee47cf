import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyzeRun } from '../src/analyze/analyze.js';
import { readAnalysisFile, sha256 } from '../src/analyze/format.js';
import { summarizeAnalysis } from '../src/analyze/summary.js';
import { loadDataset } from '../src/benchmarks/index.js';
import { registerAnalyze } from '../src/cli/analyze.js';
import { sampleKey } from '../src/core/sample.js';
import type { Dataset } from '../src/core/task.js';
import { labelTask } from '../src/score/labels.js';
import { runCliInProcess } from './helpers/cli.js';
import { CODESECEVAL_DIR, describeWithDataset } from './helpers/datasets.js';

const PICKLE = 'CWE-502_codeql_1';
const YAML = 'CWE-502_sonar_1';
const SHELL = 'CWE-78_05';

function tmp(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'codeseceval-analyze-test-'));
}

function writeJsonl(file: string, lines: readonly object[]): string {
  writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  return file;
}

/** A results line in evaluate's format; the verdict fields are given by each test. */
function result(task_id: string, sample_index: number, program: { solution?: string; completion?: string }, passed: boolean, extra: object = {}) {
  return {
    task_id,
    sample_index,
    model: 'm',
    experiment: 'direct-generation',
    ...program,
    passed,
    status: passed ? 'passed' : 'failed',
    detail: passed ? 'check passed' : 'AssertionError at test line 3',
    duration_ms: 5,
    ...extra,
  };
}

describeWithDataset('analyze stage on the real dataset', () => {
  let dataset: Dataset;
  let dir: string;
  let resultsFile: string;
  let outFile: string;
  const task = (id: string) => dataset.byId.get(id)!;

  beforeAll(async () => {
    dataset = loadDataset(CODESECEVAL_DIR);
    dir = tmp();
    resultsFile = writeJsonl(path.join(dir, 'results.jsonl'), [
      result(YAML, 0, { solution: task(YAML).insecureCode! }, false),
      result(YAML, 1, { solution: task(YAML).secureCode }, true),
      result(SHELL, 0, { completion: '    return None\n' }, false),
      result(SHELL, 1, { solution: 'def broken(:\n' }, false),
      result(SHELL, 2, { solution: task(SHELL).insecureCode! }, false),
      result(PICKLE, 0, { solution: '' }, false),
      // No model: the report names it after the file, and so must the analysis.
      { ...result(PICKLE, 0, { solution: task(PICKLE).insecureCode! }, false), model: undefined },
    ]);
    outFile = path.join(dir, 'analysis.jsonl');
    await analyzeRun({ resultsFiles: [resultsFile], out: outFile, dataset });
  }, 120_000);

  it('writes a header, one line per sample in input order, then both references of every task', async () => {
    const lines = readFileSync(outFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({
      kind: 'header',
      format: 'codeseceval-analysis',
      version: 1,
      analyzer: 'bandit',
      analyzer_version: expect.stringMatching(/^\d+\.\d+/),
      rule_table: 'bandit-cwe-1',
      results: [resultsFile],
      dataset: dataset.source,
    });
    const samples = lines.filter((l) => l.kind === 'sample');
    expect(samples.map((s) => [s.model, s.task_id, s.sample_index])).toEqual([
      ['m', YAML, 0],
      ['m', YAML, 1],
      ['m', SHELL, 0],
      ['m', SHELL, 1],
      ['m', SHELL, 2],
      ['m', PICKLE, 0],
      ['results', PICKLE, 0],
    ]);
    const refs = lines.filter((l) => l.kind === 'reference');
    expect(refs).toHaveLength(2 * dataset.tasks.length);
    expect(lines).toHaveLength(1 + samples.length + refs.length);
    // No temporary file is left behind.
    expect(readdirSync(dir).sort()).toEqual(['analysis.jsonl', 'results.jsonl']);
  });

  it('stores findings, syntax errors, blank programs and the hash of what evaluate ran', async () => {
    const a = await readAnalysisFile(outFile);
    const get = (model: string, id: string, i: number) => a.samples.get(sampleKey(id, 'direct-generation', model, i))!;
    expect(get('m', YAML, 0).findings).toContainEqual(expect.objectContaining({ rule: 'B506', cwe: 'CWE-20', severity: 'MEDIUM' }));
    expect(get('m', YAML, 1).findings.filter((f) => f.rule === 'B506')).toEqual([]);
    // CodeSecEval Problems are prose, so a completion appended to one is no valid Python.
    expect(get('m', SHELL, 0)).toMatchObject({ program_sha256: sha256(task(SHELL).problem + '    return None\n'), error: expect.stringMatching(/syntax/) });
    expect(get('m', SHELL, 1)).toMatchObject({ error: expect.stringMatching(/syntax/), findings: [], empty: false });
    expect(get('m', PICKLE, 0)).toMatchObject({ empty: true, error: null, findings: [] });
    expect(get('results', PICKLE, 0).findings.map((f) => f.rule)).toContain('B301');
  });

  it('flags known-vulnerable references with the right rule and CWE (the measurement’s structure)', async () => {
    const a = await readAnalysisFile(outFile);
    for (const t of dataset.tasks) {
      expect(a.references.get(t.id)?.secure?.program_sha256).toBe(sha256(t.secureCode));
      expect(a.references.get(t.id)?.insecure?.program_sha256).toBe(sha256(t.insecureCode!));
    }
    const insecure = (id: string) => a.references.get(id)!.insecure!.findings;
    expect(insecure(PICKLE)).toContainEqual(expect.objectContaining({ rule: 'B301', cwe: 'CWE-502' }));
    expect(insecure(YAML)).toContainEqual(expect.objectContaining({ rule: 'B506', cwe: 'CWE-20' }));
    expect(insecure(SHELL)).toContainEqual(expect.objectContaining({ rule: 'B602', cwe: 'CWE-78', severity: 'HIGH' }));
    expect(a.references.get(YAML)!.secure!.findings).toEqual([]);

    const s = await summarizeAnalysis({ analysisFile: outFile, resultsFiles: [resultsFile], dataset });
    const overall = s.references!.subsets[0]!;
    expect(overall).toMatchObject({ group: 'CodeSecEval', tasks: 180, insecureAnalysed: 180, secureAnalysed: 180 });
    expect(s.references!.subsets.map((r) => r.group)).toEqual(['CodeSecEval', 'SecEvalBase', 'SecEvalPlus']);
    expect(s.references!.cwes).toHaveLength(44);
    expect(s.references!.cwes.reduce((n, r) => n + r.tasks, 0)).toBe(180);
    const cwe502 = s.references!.cwes.find((r) => r.group === 'CWE-502')!;
    expect(cwe502.insecureFlaggedMatching).toBeGreaterThan(0);
    expect(overall.insecureFlagged).toBeGreaterThanOrEqual(overall.insecureFlaggedMatching);
    expect(overall.insecureFlagged).toBe(s.references!.cwes.reduce((n, r) => n + r.insecureFlagged, 0));
  });

  it('joins the analysis to the results: pass/fail basis without labels', async () => {
    const s = await summarizeAnalysis({ analysisFile: outFile, resultsFiles: [resultsFile], dataset });
    expect(s).toMatchObject({ analyzer: 'bandit', ruleTable: 'bandit-cwe-1', unmatchedAnalyses: 0 });
    const m = s.runs.find((r) => r.model === 'm')!;
    expect(m).toMatchObject({ basis: 'pass-fail', samples: 6 });
    expect(m.excluded).toMatchObject({ unreadable: 2, empty: 1, notAnalysed: 0, programChanged: 0 });
    // Both Insecure Codes: flagged and failed; the YAML Secure Code: clean and passed.
    expect(m.subsets[0]!.counts).toEqual({ flaggedPositive: 2, flaggedNegative: 0, cleanPositive: 0, cleanNegative: 1 });
    expect(m.subsets[0]!.kappa.value).toBeCloseTo(1, 12);
    expect(m.cwes.find((g) => g.group === 'CWE-502')).toMatchObject({ tasks: 1, n: 2 });
    expect(m.cwes.find((g) => g.group === 'CWE-78')).toMatchObject({ tasks: 1, n: 1 });
  });

  it('leaves out samples whose program changed since the analysis, and counts stray analyses', async () => {
    const changed = writeJsonl(path.join(dir, 'changed.jsonl'), [
      result(YAML, 0, { solution: task(YAML).secureCode }, true),
      result(YAML, 7, { solution: 'x = 1\n' }, true),
    ]);
    const s = await summarizeAnalysis({ analysisFile: outFile, resultsFiles: [changed], dataset });
    const m = s.runs.find((r) => r.model === 'm')!;
    expect(m.excluded).toMatchObject({ programChanged: 1, notAnalysed: 1 });
    expect(m.subsets[0]!.n).toBe(0);
    expect(s.unmatchedAnalyses).toBe(6);
  });

  it('split basis: vulnerable vs secure among functional samples, from soft outcomes and labels', async () => {
    const soft = (failing: number[]) => ({
      assertLines: [3, 5],
      assertStatements: [3, 5],
      executedAsserts: [3, 5],
      failures: failing.map((line) => ({ line, kind: 'assert' as const, message: '' })),
    });
    // Line 3 functional (both references pass it), line 5 security (the Insecure Code fails it).
    const labels = new Map([[YAML, labelTask(soft([]), soft([5]))]]);
    const file = writeJsonl(path.join(dir, 'soft.jsonl'), [
      result(YAML, 0, { solution: task(YAML).insecureCode! }, false, { soft: soft([5]) }),
      result(YAML, 1, { solution: task(YAML).secureCode }, true, { soft: soft([]) }),
      result(SHELL, 2, { solution: task(SHELL).insecureCode! }, false, { soft: soft([3]) }),
    ]);
    const s = await summarizeAnalysis({ analysisFile: outFile, resultsFiles: [file], dataset, labels });
    const m = s.runs.find((r) => r.model === 'm')!;
    expect(m.basis).toBe('split');
    expect(m.excluded.unsplittable).toBe(1);
    expect(m.subsets[0]!.counts).toEqual({ flaggedPositive: 1, flaggedNegative: 0, cleanPositive: 0, cleanNegative: 1 });
    expect(m.subsets[0]!.kappa.value).toBeCloseTo(1, 12);

    const wrong = writeJsonl(path.join(dir, 'wrong.jsonl'), [result(YAML, 0, { solution: task(YAML).insecureCode! }, false, { soft: soft([3, 5]) })]);
    const w = await summarizeAnalysis({ analysisFile: outFile, resultsFiles: [wrong], dataset, labels });
    expect(w.runs[0]!.excluded.wrong).toBe(1);
  });

  it('refuses bad input in one line before writing, and keeps an earlier analysis', async () => {
    const out = path.join(dir, 'keep.jsonl');
    writeFileSync(out, 'earlier\n');
    const bad = writeJsonl(path.join(dir, 'bad.jsonl'), [result(YAML, 0, { solution: 'x=1' }, false), result('CWE-0_nope', 0, { solution: 'x=1' }, false)]);
    await expect(analyzeRun({ resultsFiles: [bad], out, dataset, references: false })).rejects.toThrow(/bad\.jsonl:2: task_id "CWE-0_nope" is not in the dataset/);
    const dup = writeJsonl(path.join(dir, 'dup.jsonl'), [result(YAML, 0, { solution: 'x=1' }, false), result(YAML, 0, { solution: 'y=1' }, false)]);
    await expect(analyzeRun({ resultsFiles: [dup], out, dataset, references: false })).rejects.toThrow(/dup\.jsonl:2: duplicate sample 0 of m \/ direct-generation/);
    await expect(analyzeRun({ resultsFiles: [bad], out: bad, dataset })).rejects.toThrow(/is also an input/);
    expect(readFileSync(out, 'utf8')).toBe('earlier\n');
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('the CLI: writes the file and says what it did; bad flags and files give one line and exit 1', async () => {
    const out = path.join(dir, 'cli.jsonl');
    const ok = await runCliInProcess(registerAnalyze, ['analyze', '--results', resultsFile, '--out', out, '--dataset', CODESECEVAL_DIR, '--no-references']);
    expect(ok.exitCode).toBe(0);
    expect(ok.stderr).toMatch(/bandit \S+: 7 samples and 0 references analysed, 3 flagged, 2 unreadable, 1 blank → /);
    expect((await readAnalysisFile(out)).references.size).toBe(0);

    const missing = await runCliInProcess(registerAnalyze, ['analyze', '--results', path.join(dir, 'nope.jsonl'), '--out', out, '--dataset', CODESECEVAL_DIR]);
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toMatch(/--results .*nope\.jsonl: no such file/);

    const garbled = path.join(dir, 'garbled.jsonl');
    writeFileSync(garbled, '{"task_id": 1}\n');
    const bad = await runCliInProcess(registerAnalyze, ['analyze', '--results', garbled, '--out', path.join(dir, 'g.out.jsonl'), '--dataset', CODESECEVAL_DIR]);
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toMatch(/garbled\.jsonl:1: /);
    expect(existsSync(path.join(dir, 'g.out.jsonl'))).toBe(false);
  });

  it('report --analysis: the section in md, html, csv and json; without it nothing changes', async () => {
    const { registerReport } = await import('../src/cli/report.js');
    const outs: Record<string, string> = {};
    for (const fmt of ['md', 'html', 'csv', 'json']) {
      const out = path.join(dir, `report.${fmt}`);
      const r = await runCliInProcess(registerReport, ['report', resultsFile, '--dataset', CODESECEVAL_DIR, '--analysis', outFile, '--out', out, '--bootstrap', '20']);
      expect(r.stderr).not.toMatch(/codeseceval:/);
      expect(r.exitCode).toBe(0);
      outs[fmt] = readFileSync(out, 'utf8');
    }
    expect(outs.md).toMatch(/## Static analysis vs tests/);
    expect(outs.md).toMatch(/### Analyzer vs execution, per run/);
    expect(outs.md).toMatch(/\| CodeSecEval \| 180 \|/);
    expect(outs.html).toMatch(/<section id="static-analysis"><h2>Static analysis vs tests<\/h2>/);
    const [head, ...rows] = outs.csv!.trim().split('\n');
    expect(head).toMatch(/,sa_analyzer,sa_basis,sa_samples,sa_flagged_bad,.*,sa_ref_secure_flagged_rate$/);
    const cols = head!.split(',');
    const mRow = rows.map((r) => r.split(',')).find((r) => r[0] === 'm' && r[3] === 'CodeSecEval')!;
    expect(mRow[cols.indexOf('sa_basis')]).toBe('pass-fail');
    expect(mRow[cols.indexOf('sa_samples')]).toBe('3');
    expect(mRow[cols.indexOf('sa_ref_insecure')]).toBe('180');
    const json = JSON.parse(outs.json!);
    expect(json.static_analysis).toMatchObject({ analyzer: 'bandit', rule_table: 'bandit-cwe-1', unmatched_analyses: 0 });
    expect(json.static_analysis.runs.find((r: { model: string }) => r.model === 'm').subsets[0]).toMatchObject({ n: 3, flagged_bad: 2, clean_good: 1, kappa: 1 });
    expect(json.static_analysis.references.cwes).toHaveLength(44);

    // A run folder's results.jsonl brings the analysis.jsonl beside it; a results file of
    // another name brings nothing.
    const beside = await runCliInProcess(registerReport, ['report', resultsFile, '--dataset', CODESECEVAL_DIR, '--format', 'json', '--bootstrap', '20']);
    expect(JSON.parse(beside.stdout).static_analysis).toBeDefined();
    const alone = path.join(dir, 'alone.jsonl');
    copyFileSync(resultsFile, alone);
    const plain = await runCliInProcess(registerReport, ['report', alone, '--dataset', CODESECEVAL_DIR, '--format', 'json', '--bootstrap', '20']);
    expect(JSON.parse(plain.stdout).static_analysis).toBeUndefined();
    const bad = await runCliInProcess(registerReport, ['report', resultsFile, '--dataset', CODESECEVAL_DIR, '--analysis', resultsFile]);
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  }, 60_000);

  it('reads back only well-formed analysis files', async () => {
    const notHeader = writeJsonl(path.join(dir, 'nohead.jsonl'), [{ kind: 'sample' }]);
    await expect(readAnalysisFile(notHeader)).rejects.toThrow(/nohead\.jsonl:1: /);
    const empty = path.join(dir, 'empty.jsonl');
    writeFileSync(empty, '');
    await expect(readAnalysisFile(empty)).rejects.toThrow(/no header line/);
  });
});

describe('analyze with a fake-free analyzer object', () => {
  it('refuses to start when nothing is to be analysed', async () => {
    const dataset = { kind: 'codeseceval', source: 'x', tasks: [], byId: new Map() } as unknown as Dataset;
    await expect(analyzeRun({ resultsFiles: [], out: path.join(tmp(), 'a.jsonl'), dataset, references: false })).rejects.toThrow(/nothing to analyse/);
  });
});
