import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { loadDataset } from '../src/benchmarks/index.js';
import type { Dataset } from '../src/core/task.js';
import { acquireLock } from '../src/io/lock.js';
import { ViewData } from '../src/view/data.js';
import { loadAnalysis } from '../src/view/analysis.js';
import { overview, sample } from '../src/view/queries.js';
import { exceptionTestLine } from '../src/view/sample-render.js';
import { CODESECEVAL_DIR, describeWithDataset } from './helpers/datasets.js';
import { tempDir } from './helpers/report.js';
import { writeMatrixRun } from './helpers/view-matrix.js';
import { VIEW_TASKS } from './helpers/view-run.js';

describeWithDataset('codeseceval view: run state, usage, order', () => {
  let ds: Dataset;
  let root: string;

  beforeAll(() => {
    ds = loadDataset(CODESECEVAL_DIR);
    root = tempDir('codeseceval-view-state-');
  });

  function open(dir: string) {
    const data = ViewData.open([dir], { dataset: ds, pollMs: 0 });
    return { data, ov: () => overview(data) };
  }

  it('calls a run with unjudged samples and no live command interrupted, and one a command holds in progress', () => {
    const dir = path.join(root, 'stopped');
    writeMatrixRun(dir, [{ index: 1, name: 'm' }], VIEW_TASKS.slice(0, 1), 2);
    // Three samples were made; two were judged before the command was stopped.
    writeFileSync(path.join(dir, 'samples.jsonl'), ['a', 'b', 'c'].map((x) => JSON.stringify({ x })).join('\n') + '\n');
    const { data, ov } = open(dir);
    expect(ov().sources[0]!.state).toBe('interrupted');
    const lock = acquireLock(path.join(dir, 'results.jsonl'), { command: 'codeseceval evaluate' });
    try {
      data.refresh();
      expect(ov().sources[0]!.state).toBe('running');
    } finally {
      lock.release();
    }
    expect(ov().sources[0]!.state).toBe('interrupted');
    data.stop();
  });

  it('sums tokens and latency per result set, cache hits apart, and orders result sets by model name', () => {
    const dir = path.join(root, 'usage');
    let k = 0;
    writeMatrixRun(dir, [{ index: 1, name: 'zeta' }, { index: 2, name: 'alpha' }, { index: 3, name: 'model-10' }, { index: 4, name: 'model-9' }], VIEW_TASKS.slice(0, 2), 2, (line) => {
      k++;
      return { ...line, usage: { input_tokens: 100, output_tokens: 10 * (k % 3) }, latency_ms: k % 4 === 0 ? undefined : 1000, cached: k % 4 === 0 };
    });
    const { data, ov } = open(dir);
    const runs = ov().runs;
    expect(runs.map((r) => r.model)).toEqual(['alpha', 'model-9', 'model-10', 'zeta']);
    const zeta = runs.find((r) => r.model === 'zeta')!;
    // zeta's lines are k = 1..4: output tokens 10, 20, 0, 10; k = 4 came from the cache.
    expect(zeta.usage).toMatchObject({ samples_with_usage: 4, input_tokens: 400, output_tokens: 40, mean_output_tokens: 10, mean_latency_ms: 1000, cached: 1, samples: 4 });
    data.stop();
  });

  it('puts the static analyzer findings on the program they were made for, and its agreement on the overview', async () => {
    const dir = path.join(root, 'analysed');
    const tasks = VIEW_TASKS.slice(0, 2);
    writeMatrixRun(dir, [{ index: 1, name: 'm' }], tasks, 2);
    const lines = readFileSync(path.join(dir, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { task_id: string; sample_index: number; solution: string; passed: boolean });
    writeFileSync(path.join(dir, 'samples.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    const sha = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
    const header = { kind: 'header', format: 'codeseceval-analysis', version: 1, analyzer: 'bandit', analyzer_version: '1.7.10', rule_table: 'test', results: ['results.jsonl'], dataset: null, created_at: '2026-01-01T00:00:00Z' };
    // Failed samples are flagged, passed ones clean; the last sample's program "changed" since.
    const analysed = lines.map((l, i) => ({
      kind: 'sample', model: 'm', experiment: 'direct-generation', task_id: l.task_id, sample_index: l.sample_index,
      program_sha256: i === lines.length - 1 ? sha('something else') : sha(l.solution), empty: false, error: null,
      findings: l.passed ? [] : [{ rule: 'B602', severity: 'HIGH', confidence: 'HIGH', cwe: 'CWE-78', line: 2, message: 'subprocess call with shell=True' }],
    }));
    writeFileSync(path.join(dir, 'analysis.jsonl'), [header, ...analysed].map((x) => JSON.stringify(x)).join('\n') + '\n');
    const { data, ov } = open(dir);
    const analysis = await loadAnalysis(dir);
    const key = 'analysed|m|direct-generation';
    const failed = lines.findIndex((l) => !l.passed);
    const one = await sample(data, key, lines[failed]!.task_id, lines[failed]!.sample_index, analysis);
    expect(one.analysis).toMatchObject({ analyzer: 'bandit', note: null, findings: [{ line: 2, rule: 'B602', cwe: 'CWE-78' }] });
    const last = lines.at(-1)!;
    expect((await sample(data, key, last.task_id, last.sample_index, analysis)).analysis).toMatchObject({ note: 'the program changed since it was analysed', findings: [] });
    await data.reportsReady();
    const a = ov().runs[0]!.analysis!;
    expect(a.analyzer).toBe('bandit');
    // Three of the four samples are joined; the analyzer flags exactly the failed ones.
    expect(a.n).toBe(3);
    expect(a.agreement).toBe(1);
    data.stop();
  });

  it('keeps the scores when the analysis file cannot be used, and shows no findings from it', async () => {
    const dir = path.join(root, 'bad-analysis');
    writeMatrixRun(dir, [{ index: 1, name: 'm' }], VIEW_TASKS.slice(0, 1), 2);
    writeFileSync(path.join(dir, 'samples.jsonl'), readFileSync(path.join(dir, 'results.jsonl')));
    writeFileSync(path.join(dir, 'analysis.jsonl'), '{"kind": "sample"}\nnot json\n');
    const { data, ov } = open(dir);
    await data.reportsReady();
    expect(ov().runs[0]).toMatchObject({ scored: true, analysis: null });
    expect(await loadAnalysis(dir)).toBeNull();
    data.stop();
  });

  it('finds the Test line an uncaught exception came from in the runner traceback', () => {
    const tb = [
      'Traceback (most recent call last):',
      '  File "/tmp/work/<test>", line 4, in check',
      '    helper(candidate)',
      '  File "/tmp/work/<test>", line 9, in helper',
      '    candidate("x")',
      '  File "/tmp/work/solution.py", line 3, in f',
      '    raise KeyError(x)',
      "KeyError: 'x'",
    ].join('\n');
    expect(exceptionTestLine(tb)).toBe(9);
    expect(exceptionTestLine('ValueError: no traceback')).toBeNull();
  });
});
