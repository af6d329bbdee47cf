import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createReport, formatFromPath, type JsonReport, type ReportFormat } from '../../src/report/index.js';
import { loadValidation, type Validation } from '../../src/score/validation.js';
import { fixtureDataset, resultLines, T, tempDir, validationFor, writeJsonl } from '../helpers/report.js';
import type { Dataset } from '../../src/core/task.js';

const COUNTS: Record<string, [number, number]> = {
  [T.age]: [10, 3],
  [T.port]: [10, 0],
  [T.profile]: [10, 10],
  [T.quantity]: [10, 5],
  [T.del]: [10, 1],
  [T.read]: [10, 7],
};
const MORE = Object.fromEntries(Object.entries(COUNTS).map(([id, [n, c]]) => [id, [n, Math.min(n, c + 2)] as [number, number]]));

let ds: Dataset;
let dir: string;
let results: string;
let validation: Validation;

beforeAll(() => {
  ds = fixtureDataset();
  dir = tempDir();
  results = writeJsonl(path.join(dir, 'results.jsonl'), [
    ...resultLines({ model: 'm|1', experiment: 'direct-generation', counts: COUNTS }),
    ...resultLines({ model: 'm|1', experiment: 'vuln-aware-generation', counts: MORE }),
    ...resultLines({ model: 'm|1', experiment: 'direct-repair', counts: COUNTS }),
  ]);
  const vfile = path.join(dir, 'validation.json');
  writeFileSync(vfile, JSON.stringify(validationFor({ [T.profile]: 'secure-fails' })));
  validation = loadValidation(vfile, ds);
});

const make = (format: ReportFormat, extra: Partial<Parameters<typeof createReport>[0]> = {}) =>
  createReport({ resultsFiles: [results], dataset: ds, ks: [1, 5, 11], format, ...extra });

describe('markdown report', () => {
  it('has the paper tables with known numbers, n/a, and says broken tasks are not marked', async () => {
    const { text } = await make('md');
    expect(text).toContain('## Secure code generation (the paper’s Table 2)');
    expect(text).toContain('## Vulnerability-aware generation with and without numbered steps (the paper’s Table 3)');
    expect(text).toContain('## Secure code repair (the paper’s Table 4)');
    // Pipes inside a model name must not split the cell.
    const row = text.split('\n').find((l) => l.startsWith('| m\\|1 | direct-generation |'))!;
    expect(row).toBeDefined();
    const cells = row.split(/(?<!\\)\|/).map((c) => c.trim()).filter(Boolean);
    // Model, Experiment, Tasks, then CodeSecEval pass@1/5/11, SecEvalBase ..., SecEvalPlus ...
    expect(cells.slice(2, 6)).toEqual(['6', '43.3', (((1 - 21 / 252 + 0 + 1 + (1 - 1 / 252) + 0.5 + 1) / 6) * 100).toFixed(1), 'n/a']);
    expect(text).toContain('pass@11 needs 11 samples of every task, and some tasks have only 10');
    expect(text).toContain('Broken tasks: not marked (no --validation file)');
    // A heading escapes a name like a cell does (a line break would end it); `\|` reads as `|`.
    expect(text).toContain('### Per-CWE pass@1: m\\|1');
    expect(text).not.toContain('<details');
  });

  it('says whether broken tasks were included or excluded', async () => {
    const inc = (await make('md', { validation })).text;
    expect(inc).toContain('INCLUDED in scores');
    expect(inc).toMatch(/\| CWE-200_author_1 \| SecEvalBase \| secure-fails \| reason for CWE-200_author_1 \|/);
    const exc = (await make('md', { validation, excludeBroken: true })).text;
    expect(exc).toContain('EXCLUDED from scores (--exclude-broken)');
    // Without the 10/10 task: (3+0+5+1+7)/50.
    expect(exc).toMatch(/\| m\\\|1 \| direct-generation \| 5 \| 1 \| 32\.0 \|/);
  });
});

describe('csv report', () => {
  it('is one tidy row per run, group and k', async () => {
    const { text } = await make('csv');
    const rows = text.trim().split('\n').map((l) => l.split(','));
    expect(rows[0]).toEqual(['model', 'experiment', 'group_type', 'group', 'tasks', 'broken_tasks', 'min_samples', 'k', 'pass_at_k', 'ci_low', 'ci_high', 'broken_excluded']);
    const find = (exp: string, type: string, g: string, k: string) =>
      rows.find((r) => r[1] === exp && r[2] === type && r[3] === g && r[7] === k)!;
    const overall = find('direct-generation', 'subset', 'CodeSecEval', '1');
    expect(overall[0]).toBe('m|1');
    expect(Number(overall[8])).toBeCloseTo(26 / 60, 12);
    expect(Number(overall[9])).toBeLessThanOrEqual(26 / 60);
    expect(find('direct-generation', 'subset', 'CodeSecEval', '11').slice(8, 11)).toEqual(['', '', '']);
    expect(Number(find('direct-generation', 'cwe', 'CWE-20', '1')[8])).toBeCloseTo(8 / 30, 12);
    expect(find('vuln-aware-generation', 'steps', 'with steps', '1')[4]).toBe('3');
    expect(rows.some((r) => r[1] === 'direct-generation' && r[2] === 'steps')).toBe(false);
    // 3 runs x (3 subsets + 3 CWEs) x 3 k, plus 2 steps groups x 3 k for the vuln-aware run.
    expect(rows.length - 1).toBe(3 * 6 * 3 + 2 * 3);
  });
});

describe('json report', () => {
  it('carries the same numbers in the documented shape', async () => {
    const { text } = await make('json', { validation, compare: true });
    const j = JSON.parse(text) as JsonReport;
    expect(j.format).toBe('codeseceval-report');
    expect(j.version).toBe(1);
    expect(j.k).toEqual([1, 5, 11]);
    expect(j.dataset.tasks).toBe(6);
    expect(j.broken).toMatchObject({ excluded: false, tasks: [{ task_id: T.profile, verdict: 'secure-fails' }] });
    expect(j.groups.cwes.map((g) => g.group)).toEqual(['CWE-20', 'CWE-200', 'CWE-862/CWE-287/CWE-306/CWE-863']);
    expect(j.groups.steps).toEqual({ with: 3, without: 3 });
    expect(j.runs.map((r) => r.experiment)).toEqual(['direct-generation', 'vuln-aware-generation', 'direct-repair']);
    const dg = j.runs[0]!;
    expect(dg.subsets[0]!.pass_at_k['1']).toBeCloseTo(26 / 60, 12);
    expect(dg.subsets[0]!.pass_at_k['11']).toBeNull();
    expect(dg.subsets[0]!.ci['11']).toBeNull();
    expect(dg.subsets[0]!.broken_tasks).toBe(1);
    expect(dg.statuses.passed).toBe(26);
    expect(dg.tasks.find((t) => t.task_id === T.profile)).toMatchObject({ broken: true, counted: true, n: 10, c: 10 });
    expect(j.runs[1]!.steps!.with.group).toBe('with steps');
    expect(j.runs[0]!.steps).toBeNull();
    expect(j.comparisons).toHaveLength(1);
    const cmp = j.comparisons[0]!;
    expect(cmp.a.experiment).toBe('direct-generation');
    expect(cmp.b.experiment).toBe('vuln-aware-generation');
    expect(cmp.k['1']!.diff).toBeGreaterThan(0);
    expect(cmp.k['11']).toBeNull();
  });

  it('is deterministic', async () => {
    expect((await make('json', { compare: true })).text).toBe((await make('json', { compare: true })).text);
  });
});

describe('report options', () => {
  it('refuses --exclude-broken without a validation file and a per-CWE k outside --k', async () => {
    await expect(make('md', { excludeBroken: true })).rejects.toThrow(/--exclude-broken needs --validation/);
    await expect(make('md', { cweK: 3 })).rejects.toThrow(/--cwe-k 3 is not one of --k 1,5,11/);
  });

  it('infers the format from the output name', () => {
    expect(formatFromPath('r/report.HTML')).toBe('html');
    expect(formatFromPath('report.md')).toBe('md');
    expect(formatFromPath('report.json')).toBe('json');
    expect(formatFromPath('report.txt')).toBeNull();
  });
});

describe('a HumanEval-format dataset', () => {
  it('reports one overall column and no CWE or steps sections', async () => {
    const { loadDataset } = await import('../../src/benchmarks/index.js');
    const he = loadDataset(path.join(import.meta.dirname, '..', 'fixtures', 'score-humaneval.jsonl'));
    const file = writeJsonl(
      path.join(dir, 'he.jsonl'),
      resultLines({ model: 'm', experiment: 'direct-generation', counts: { 'Score/0': [2, 2], 'Score/1': [2, 0] } }),
    );
    const md = (await createReport({ resultsFiles: [file], dataset: he, ks: [1, 2], format: 'md' })).text;
    expect(md).toContain('| Model | Experiment | Tasks | HumanEval pass@1 | HumanEval pass@2 |');
    expect(md).toContain('| m | direct-generation | 2 | 50.0 | 50.0 |');
    expect(md).not.toContain('Per-CWE');
    expect(md).not.toContain('numbered steps');
    const html = (await createReport({ resultsFiles: [file], dataset: he, ks: [1], format: 'html' })).text;
    expect(html).not.toContain('<svg');
    expect(html).toContain('<details class="task"');
    const j = JSON.parse((await createReport({ resultsFiles: [file], dataset: he, ks: [1], format: 'json' })).text) as JsonReport;
    expect(j.groups).toEqual({ subsets: [{ group: 'HumanEval', tasks: 2 }], cwes: [], steps: null });
  });
});
