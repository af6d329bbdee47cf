import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { registerDatasetStats } from '../src/cli/dataset-stats.js';
import { loadDataset } from '../src/benchmarks/index.js';
import { codeLines, countAsserts, datasetStats, formatStatsTable, wordCount } from '../src/dataset/stats.js';
import { runCliInProcess } from './helpers/cli.js';
import { CODESECEVAL_DIR, HUMANEVAL_FILE, itWithDataset, itWithHumanEval } from './helpers/datasets.js';

const MINI = path.resolve('test/fixtures/codeseceval-mini');

describe('counting helpers', () => {
  it('counts words, non-blank lines and assert statements', () => {
    expect(wordCount('  one two\n\tthree  ')).toBe(3);
    expect(wordCount('   ')).toBe(0);
    expect(codeLines('a\n\n  \nb\r\nc\n')).toBe(3);
    expect(countAsserts('def check(c):\n    assert c(1)\n    # assert c(2)\n    x = "assert"\n    assert (\n        c(3)\n    )\n')).toBe(2);
  });
});

describe('datasetStats on the mini fixture (figures worked out by hand)', () => {
  const stats = datasetStats(loadDataset(MINI));
  const [base, plus] = stats.subsets;

  it('SecEvalBase', () => {
    expect(base).toMatchObject({
      subset: 'SecEvalBase',
      records: 2,
      cweTypes: 2,
      cweGroups: ['CWE-20', 'CWE-79'],
      meanProblemWords: (17 + 12) / 2,
      meanSecureCodeLines: (5 + 3) / 2,
      meanInsecureCodeLines: 2,
      meanTestAsserts: (2 + 3) / 2,
      numberedStepProblems: 1,
      assertLabels: null,
    });
  });

  it('SecEvalPlus', () => {
    expect(plus).toMatchObject({
      subset: 'SecEvalPlus',
      records: 2,
      cweTypes: 2,
      meanProblemWords: (15 + 13) / 2,
      meanSecureCodeLines: (4 + 6) / 2,
      meanInsecureCodeLines: (2 + 4) / 2,
      meanTestAsserts: 1,
      numberedStepProblems: 1,
    });
  });

  it('overall: CWE-020 and CWE-20 are one type', () => {
    expect(stats.overall).toMatchObject({ subset: 'all', records: 4, cweTypes: 3, numberedStepProblems: 2, meanTestAsserts: 1.75 });
    expect(stats.overall.cweGroups).toEqual(['CWE-20', 'CWE-79', 'CWE-862/CWE-287/CWE-306/CWE-863']);
  });
});

describe('datasetStats on the real data', () => {
  itWithDataset('CodeSecEval: 67 + 113 records, 37 + 14 CWE types, 44 in all, 86 with numbered steps', () => {
    const s = datasetStats(loadDataset(CODESECEVAL_DIR));
    expect(s.subsets.map((x) => [x.subset, x.records, x.cweTypes])).toEqual([
      ['SecEvalBase', 67, 37],
      ['SecEvalPlus', 113, 14],
    ]);
    expect(s.overall.records).toBe(180);
    expect(s.overall.cweTypes).toBe(44);
    expect(s.overall.numberedStepProblems).toBe(86);
    const weighted = (k: 'meanTestAsserts' | 'meanProblemWords') => (s.subsets[0]![k] * 67 + s.subsets[1]![k] * 113) / 180;
    expect(s.overall.meanTestAsserts).toBeCloseTo(weighted('meanTestAsserts'), 10);
    expect(s.overall.meanProblemWords).toBeCloseTo(weighted('meanProblemWords'), 10);
  });

  itWithHumanEval('HumanEval: figures that do not apply are null', () => {
    const s = datasetStats(loadDataset(HUMANEVAL_FILE));
    expect(s.subsets).toHaveLength(1);
    expect(s.overall).toMatchObject({ records: 164, cweTypes: null, cweGroups: null, meanInsecureCodeLines: null, numberedStepProblems: null });
    expect(s.overall.meanTestAsserts).toBeGreaterThan(1);
    const table = formatStatsTable(s);
    expect(table).toMatch(/CWE types\s+n\/a/);
    expect(table).not.toMatch(/\ball\b/);
  });
});

describe('formatStatsTable', () => {
  it('has one column per subset plus all, and shows assert labels once they are filled', () => {
    const stats = datasetStats(loadDataset(MINI));
    const table = formatStatsTable(stats);
    expect(table.split('\n')[1]).toMatch(/SecEvalBase\s+SecEvalPlus\s+all$/);
    expect(table).toMatch(/problems with numbered steps\s+1\/2\s+1\/2\s+2\/4/);
    expect(table).not.toContain('security asserts');
    stats.subsets[0]!.assertLabels = { functional: 3, security: 2, broken: 0 };
    expect(formatStatsTable(stats)).toMatch(/security asserts\s+2\s+n\/a\s+n\/a/);
  });
});

/** Run `dataset stats` in-process through commander, capturing what it prints. */
async function stats(...args: string[]) {
  return runCliInProcess((p) => registerDatasetStats(p.command('dataset')), ['dataset', 'stats', ...args]);
}

describe('codeseceval dataset stats (CLI)', () => {
  it('prints JSON that matches the library', async () => {
    const r = await stats('--dataset', MINI, '--json');
    expect(JSON.parse(r.stdout)).toEqual(JSON.parse(JSON.stringify(datasetStats(loadDataset(MINI)))));
  });

  it('prints a table for a HumanEval file', async () => {
    expect((await stats('--dataset', 'test/fixtures/humaneval-mini.jsonl')).stdout).toMatch(/records\s+3/);
  });

  it('finds the dataset through $CODESECEVAL_DATASET', async () => {
    vi.stubEnv('CODESECEVAL_DATASET', MINI);
    try {
      expect((await stats()).stdout).toMatch(/records\s+2\s+2\s+4/);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('fails with exit code 1 and one line naming the file, record and field (real process)', () => {
    let err: { status: number; stderr: string } | undefined;
    try {
      execFileSync(
        process.execPath,
        ['--import', 'tsx', 'src/cli/main.ts', 'dataset', 'stats', '--dataset', 'test/fixtures/broken/humaneval-missing-field.jsonl'],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
      );
    } catch (e) {
      err = e as { status: number; stderr: string };
    }
    expect(err?.status).toBe(1);
    const lines = err!.stderr.split('\n').filter((l) => l.startsWith('codeseceval:'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('humaneval-missing-field.jsonl:2: record Broken/1: field "entry_point"');
  });
});
