import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../src/benchmarks/index.js';
import type { JsonReport } from '../src/report/json.js';
import { taskGroups } from '../src/score/groups.js';
import { FIXTURE_DATASET, resultLines, T, tempDir, writeJsonl } from './helpers/report.js';
import { CODESECEVAL_DIR, describeWithDataset } from './helpers/datasets.js';

const REAL_DATASET = CODESECEVAL_DIR;

/** The CLI as users run it; asynchronous, so the test worker stays responsive meanwhile. */
function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'report', ...args],
      { encoding: 'utf8', env: { ...process.env, CODESECEVAL_DATASET: '', ...env }, maxBuffer: 64 * 2 ** 20 },
      (error, stdout, stderr) => resolve({ status: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

let dir: string;
let results: string;
beforeAll(() => {
  dir = tempDir();
  results = writeJsonl(
    path.join(dir, 'results.jsonl'),
    resultLines({ model: 'm', experiment: 'direct-generation', counts: { [T.age]: [5, 2], [T.quantity]: [5, 5] } }),
  );
});

describe('codeseceval report', () => {
  it('prints a markdown report by default', async () => {
    const r = await cli([results, '--dataset', FIXTURE_DATASET, '--k', '1,5']);
    // Alone, a results file says what it could not find beside it, in one line.
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^note: no samples file beside .*results\.jsonl \(completeness not checked\); no validation file/)]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('# CodeSecEval report');
    // (2/5 + 5/5) / 2 = 70.0 over the two tasks with results.
    expect(r.stdout).toMatch(/\| m \| direct-generation \| 2 \| 70\.0 \| 100\.0 \|/);
  });

  it('takes a run folder, and on partial results warns per model and experiment and marks the report partial', async () => {
    const run = tempDir();
    const made = [
      ...resultLines({ model: 'a', experiment: 'direct-generation', counts: { [T.age]: [2, 1], [T.quantity]: [2, 2] } }),
      ...resultLines({ model: 'b', experiment: 'direct-generation', counts: { [T.age]: [2, 0], [T.quantity]: [2, 1] } }),
    ];
    writeJsonl(path.join(run, 'samples.jsonl'), made.map((l) => ({ task_id: l.task_id, sample_index: l.sample_index, model: l.model, experiment: l.experiment, solution: l.solution })));
    // Evaluate was interrupted: b has one result of four.
    writeJsonl(path.join(run, 'results.jsonl'), made.slice(0, 5));
    const md = await cli([run, '--dataset', FIXTURE_DATASET]);
    expect(md.status, md.stderr).toBe(0);
    expect(md.stderr).toContain('warning: Partial report: b / direct-generation has results for 1 of 4 samples (3 not evaluated yet');
    expect(md.stderr).not.toContain('a / direct-generation has');
    expect(md.stdout).toContain('Completeness: PARTIAL');
    expect(md.stdout).toContain('> **Partial report: b / direct-generation has results for 1 of 4 samples');
    const json = JSON.parse((await cli([path.join(run, 'results.jsonl'), '--dataset', FIXTURE_DATASET, '--format', 'json'])).stdout) as JsonReport;
    expect(json.complete).toBe(false);
    expect(json.missing_results).toEqual([{ model: 'b', experiment: 'direct-generation', samples: 4, results: 1 }]);
    // n = 2 everywhere: k stops at 2's floor, 1.
    expect(json.k).toEqual([1]);

    // Finished, the same folder reports complete.
    writeJsonl(path.join(run, 'results.jsonl'), made);
    const done = JSON.parse((await cli([run, '--dataset', FIXTURE_DATASET, '--format', 'json'])).stdout) as JsonReport;
    expect(done.complete).toBe(true);
    expect(done.missing_results).toEqual([]);
  });

  it('prints names holding escape sequences as visible text, in every format and on stderr', async () => {
    const evil = 'm\u001b]0;pwned\u0007\u001b[2J\u009b31m\u202e';
    const file = writeJsonl(path.join(tempDir(), 'results.jsonl'), resultLines({ model: evil, experiment: 'direct-generation', counts: { [T.age]: [2, 1] } }));
    for (const format of ['md', 'csv', 'html', 'json']) {
      const r = await cli([file, '--dataset', FIXTURE_DATASET, '--format', format]);
      expect(r.status, r.stderr).toBe(0);
      // eslint-disable-next-line no-control-regex
      expect(r.stdout + r.stderr, format).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e]/);
      if (format === 'json') expect((JSON.parse(r.stdout) as JsonReport).runs[0]!.model).toBe(evil);
      else expect(r.stdout).toContain('\\x1b]0;pwned');
    }
  });

  it('refuses a folder that is not a run folder in one line', async () => {
    const r = await cli([tempDir(), '--dataset', FIXTURE_DATASET]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/a folder without results\.jsonl/)]);
  });

  it('takes the format from --out and writes the file', async () => {
    const out = path.join(dir, 'sub', 'report.json');
    const r = await cli([results, '--dataset', FIXTURE_DATASET, '--out', out]);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain(`json report of 1 run → ${out}`);
    const j = JSON.parse(readFileSync(out, 'utf8')) as JsonReport;
    // The default k list stops at the smallest n present (5 here).
    expect(j.k).toEqual([1, 3, 5]);
    expect(j.runs[0]!.subsets[0]!.pass_at_k['1']).toBeCloseTo(0.7, 12);
    expect(j.complete).toBeNull();
  });

  it('fails with one line naming the file and line, and leaves an existing report alone', async () => {
    const out = path.join(dir, 'keep.md');
    writeFileSync(out, 'previous report\n');
    const bad = writeJsonl(path.join(dir, 'bad.jsonl'), [...resultLines({ counts: { [T.age]: [2, 1] } }), '{"task_id": "x"']);
    const r = await cli([results, bad, '--dataset', FIXTURE_DATASET, '--out', out]);
    expect(r.status).toBe(1);
    // One line: the notes of a successful report are not printed for a failed one.
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^codeseceval: ${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3: invalid JSON`));
    expect(readFileSync(out, 'utf8')).toBe('previous report\n');
  });

  it('rejects bad flags with a clear message', async () => {
    const run = (...flags: string[]) => cli([results, '--dataset', FIXTURE_DATASET, ...flags]).then((r) => r.stderr);
    const [k, broken, bootstrap, drilldown, format] = await Promise.all([
      run('--k', '0,1'),
      run('--exclude-broken'),
      run('--bootstrap', 'many'),
      run('--drilldown', 'some'),
      run('--format', 'pdf'),
    ]);
    expect(k).toMatch(/^error: option '--k <list>' argument '0,1' is invalid\. --k: k values must be positive integers/);
    expect(broken).toMatch(/--exclude-broken needs --validation FILE/);
    expect(bootstrap).toMatch(/--bootstrap must be a positive integer, got "many"/);
    expect(drilldown).toMatch(/--drilldown must be a whole number, 0 or more, got "some"/);
    expect(format).toMatch(/Allowed choices are md, csv, json, html/);
  });
});

describeWithDataset('on the real dataset', () => {
  it('has the paper’s 44 CWE types, with CWE-020 and CWE-20 as one', () => {
    const ds = loadDataset(REAL_DATASET);
    const groups = taskGroups(ds);
    expect(groups.subsets.map((g) => [g.label, g.ids.length])).toEqual([
      ['CodeSecEval', 180],
      ['SecEvalBase', 67],
      ['SecEvalPlus', 113],
    ]);
    expect(groups.cwes).toHaveLength(44);
    const labels = groups.cwes.map((g) => g.label);
    expect(labels).not.toContain('CWE-020');
    const cwe20 = groups.cwes.find((g) => g.label === 'CWE-20')!;
    expect(cwe20.ids.some((id) => id.startsWith('CWE-020_'))).toBe(true);
    expect(cwe20.ids.some((id) => id.startsWith('CWE-20_'))).toBe(true);
    expect(cwe20.ids.every((id) => /^CWE-0*20_/.test(id))).toBe(true);
    expect(labels).toContain('CWE-862/CWE-287/CWE-306/CWE-863');
    expect(groups.steps!.with.ids.length + groups.steps!.without.ids.length).toBe(180);
  });

  it('reports results on real task IDs', async () => {
    const ds = loadDataset(REAL_DATASET);
    const counts = Object.fromEntries(ds.tasks.map((t, i) => [t.id, [2, i % 3 === 0 ? 1 : 0] as [number, number]]));
    const file = writeJsonl(path.join(dir, 'real.jsonl'), resultLines({ model: 'm', experiment: 'direct-generation', counts }));
    const r = await cli([file, '--k', '1,2', '--format', 'csv'], { CODESECEVAL_DATASET: REAL_DATASET });
    expect(r.status).toBe(0);
    const overall = r.stdout.split('\n').find((l) => l.startsWith('m,direct-generation,subset,CodeSecEval,180,0,2,1,'))!;
    // Every third task has 1 of 2 samples passing: 60 tasks x 0.5 / 180.
    expect(Number(overall.split(',')[8])).toBeCloseTo(30 / 180, 12);
    expect(r.stdout.split('\n').filter((l) => l.includes(',cwe,')).length).toBe(44 * 2);
  });
});
