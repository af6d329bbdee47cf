import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll,  expect, it } from 'vitest';
import { loadDataset } from '../src/benchmarks/index.js';
import type { JsonReport } from '../src/report/json.js';
import { defaultRunDir, ksFor, runPipeline, type RunOptions } from '../src/run/run.js';
import { tempDir } from './helpers/report.js';
import type { Dataset } from '../src/core/task.js';
import { CODESECEVAL_DIR, describeWithDataset } from './helpers/datasets.js';

const REAL_DATASET = CODESECEVAL_DIR;
// Two tasks whose references behave (secure passes, insecure fails) and one whose Secure Code
// fails its own test upstream, so the run has a broken task to mark.
const OK_TASKS = ['CWE-020_codeql_4', 'CWE-276_01'];
const BROKEN_TASK = 'CWE-113_sonar_1';
const TASKS = [...OK_TASKS, BROKEN_TASK];

let ds: Dataset;
beforeAll(() => {
  ds = loadDataset(REAL_DATASET);
  process.env.CODESECEVAL_CACHE = tempDir('codeseceval-run-cache-');
});

const options = (outDir: string): RunOptions => ({
  dataset: ds,
  models: ['reference:secure', 'reference:insecure'],
  outDir,
  experiments: ['direct-generation', 'vuln-aware-generation'],
  generate: { n: 2, tasks: TASKS, cacheDir: null },
});

const overall = (j: JsonReport, model: string, experiment: string) =>
  j.runs.find((r) => r.model === model && r.experiment === experiment)!.subsets[0]!;

describeWithDataset('run', () => {
  it('chains generate, evaluate, validate and report into one folder, and resumes', async () => {
    const dir = tempDir('codeseceval-run-');
    const first = await runPipeline(options(dir));
    expect(first.interrupted).toBe(false);
    // analysis.jsonl is written only with `analyze`.
    for (const [name, f] of Object.entries(first.files)) if (name !== 'analysis') expect(existsSync(f), f).toBe(true);
    // 2 models x 2 experiments x 3 tasks x 2 samples.
    expect(first.evaluated).toMatchObject({ total: 24, resumed: 0 });
    expect(first.validationReused).toBe(false);

    const j = JSON.parse(readFileSync(first.files.json, 'utf8')) as JsonReport;
    expect(j.k).toEqual([1]);
    expect(j.broken.tasks.map((t) => t.task_id)).toEqual([BROKEN_TASK]);
    expect(j.broken.validation).toBe(first.files.validation);
    // The secure reference passes the two sound tasks and fails the broken one.
    expect(overall(j, 'reference:secure', 'direct-generation')).toMatchObject({ tasks: 3, broken_tasks: 1 });
    expect(overall(j, 'reference:secure', 'direct-generation').pass_at_k['1']).toBeCloseTo(2 / 3, 12);
    expect(overall(j, 'reference:insecure', 'vuln-aware-generation').pass_at_k['1']).toBe(0);
    expect(j.runs.find((r) => r.model === 'reference:secure' && r.experiment === 'vuln-aware-generation')!.steps).not.toBeNull();
    expect(j.comparisons.length).toBeGreaterThan(0);
    expect(first.headline).toMatch(/reference:secure\s+direct-generation\s+3\s+66\.7/);
    expect(first.headline).toMatch(/reference:insecure\s+direct-generation\s+3\s+0\.0/);
    expect(readFileSync(first.files.html, 'utf8')).toContain('<details class="task"');
    expect(readFileSync(first.files.md, 'utf8')).toContain('## Secure code generation');

    // Same command again: nothing is generated or evaluated twice.
    const again = await runPipeline(options(dir));
    expect(again.generated.map((g) => g.total)).toEqual([0, 0]);
    expect(again.evaluated).toMatchObject({ total: 24, resumed: 24 });
    expect(again.validationReused).toBe(true);
    expect(readFileSync(again.files.json, 'utf8')).toBe(readFileSync(first.files.json, 'utf8'));

    // An evaluation cut short: only the missing results are made again.
    const lines = readFileSync(first.files.results, 'utf8').split('\n');
    writeFileSync(first.files.results, lines.slice(0, 10).join('\n') + '\n' + lines[10]!.slice(0, 25));
    const resumed = await runPipeline({ ...options(dir), excludeBroken: true });
    expect(resumed.evaluated).toMatchObject({ total: 24, resumed: 10 });
    const k = JSON.parse(readFileSync(resumed.files.json, 'utf8')) as JsonReport;
    expect(k.broken.excluded).toBe(true);
    expect(overall(k, 'reference:secure', 'direct-generation').tasks).toBe(2);
    expect(overall(k, 'reference:secure', 'direct-generation').pass_at_k['1']).toBe(1);
  });

  it('picks a stable folder and the k values the samples support', () => {
    expect(defaultRunDir(['openai:gpt-4o-mini', 'anthropic:claude-x'])).toBe(path.join('runs', 'openai-gpt-4o-mini+anthropic-claude-x'));
    expect(ksFor(1)).toEqual([1]);
    expect(ksFor(6)).toEqual([1, 3, 5]);
    expect(ksFor(10)).toEqual([1, 3, 5, 7, 10]);
  });

  it('works from the command line and prints the headline table', async () => {
    const dir = tempDir('codeseceval-run-cli-');
    const args = ['--import', 'tsx', 'src/cli/main.ts', 'run', '--model', 'reference:secure', '--experiments', 'direct-generation', '--tasks', OK_TASKS.join(','), '--out', dir, '--dataset', REAL_DATASET, '--no-cache'];
    // Asynchronous, so the test worker stays responsive while the pipeline runs.
    const r = await new Promise<{ status: number; stdout: string; stderr: string }>((resolve) =>
      execFile(process.execPath, args, { encoding: 'utf8' }, (error, stdout, stderr) =>
        resolve({ status: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      ),
    );
    expect(r.stderr).toContain('run: evaluating');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/CodeSecEval pass@k \(%\), 0 broken tasks included:/);
    expect(r.stdout).toMatch(/reference:secure\s+direct-generation\s+2\s+100\.0/);
    expect(r.stdout).toContain(path.join(dir, 'report.html'));
    expect(r.stdout).toContain(`Browse: codeseceval view ${dir}`);
  });
});

describeWithDataset('run --split', () => {
  it('separates wrong from insecure: the insecure reference is functional but vulnerable', async () => {
    const dir = tempDir('codeseceval-run-split-');
    const summary = await runPipeline({
      dataset: ds,
      models: ['reference:secure', 'reference:insecure'],
      outDir: dir,
      experiments: ['direct-generation'],
      generate: { n: 1, tasks: ['CWE-020_codeql_4'], cacheDir: null },
      split: true,
    });
    const results = readFileSync(summary.files.results, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    for (const r of results) expect(r.soft).toBeTruthy();
    const validation = JSON.parse(readFileSync(summary.files.validation, 'utf8'));
    expect(validation.records[0].assert_labels.map((a: { label: string }) => a.label).sort()).toEqual(['functional', 'functional', 'security']);

    const j = JSON.parse(readFileSync(summary.files.json, 'utf8')) as JsonReport;
    const split = (model: string) => j.runs.find((r) => r.model === model)!.split!.subsets[0]!;
    expect(split('reference:secure')).toMatchObject({ functional_samples: 1, vulnerable_samples: 0 });
    expect(split('reference:secure').func_sec_at_k['1']).toBe(1);
    expect(split('reference:insecure')).toMatchObject({ functional_samples: 1, vulnerable_samples: 1, vulnerable_rate: 1 });
    expect(split('reference:insecure').func_at_k['1']).toBe(1);
    expect(split('reference:insecure').func_sec_at_k['1']).toBe(0);

    // The terminal summary answers the run's question: functional, functional and secure, vulnerable.
    expect(summary.headline).toMatch(/Model\s+Experiment\s+Tasks\s+pass@1\s+func@1\s+func-sec@1\s+vulnerable/);
    expect(summary.headline).toMatch(/reference:insecure\s+direct-generation\s+1\s+0\.0\s+100\.0\s+0\.0\s+100\.0/);
    // Two models: the paired comparison with its sign and p-value.
    // The first model given is the baseline, whatever order results were written in.
    expect(summary.headline).toMatch(/reference:insecure \/ direct-generation vs reference:secure \/ direct-generation: lower, 100\.0 → 0\.0 \(-100\.0 .*, p 1\.000\)/);
  });
});
