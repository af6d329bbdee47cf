import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../src/benchmarks/index.js';
import type { Dataset } from '../src/core/task.js';
import { evaluateSamples } from '../src/evaluate/evaluate.js';
import { generateSamples } from '../src/generate/generate.js';
import { defaultExperiments } from '../src/models/registry.js';
import { ReplayProvider } from '../src/models/replay.js';
import type { JsonReport } from '../src/report/json.js';
import { runPipeline } from '../src/run/run.js';
import { PAPER_EXPERIMENTS } from '../src/core/experiments.js';
import { tempDir } from './helpers/report.js';

const MINI = path.resolve(import.meta.dirname, 'fixtures/codeseceval-mini');
const HE_MINI = path.resolve(import.meta.dirname, 'fixtures/humaneval-mini.jsonl');

let ds: Dataset;
let he: Dataset;
let dir: string;
beforeAll(() => {
  ds = loadDataset(MINI);
  he = loadDataset(HE_MINI);
  dir = tempDir('codeseceval-replay-');
  process.env.CODESECEVAL_CACHE = tempDir('codeseceval-replay-cache-');
});

function replayFile(name: string, lines: object[]): string {
  const file = path.join(dir, name);
  writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  return file;
}
const readLines = (file: string) => readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

const PORT = "def read_port(text):\n    return int(text)\n";
const GREET = "import html\n\ndef greet(name):\n    return '<p>Hello, ' + html.escape(name) + '</p>'\n";

describe('replay: which experiments a file answers', () => {
  it('untagged lines answer every experiment the user names', async () => {
    const file = replayFile('untagged.jsonl', [{ task_id: 'CWE-020_mini_1', solution: PORT }]);
    const out = path.join(dir, 'untagged-samples.jsonl');
    await generateSamples({ dataset: ds, model: `replay:${file}`, outFile: out, experiments: ['direct-generation', 'direct-repair'], cacheDir: null });
    const got = readLines(out).map((l) => [l.task_id, l.experiment, l.solution]);
    expect(got.sort()).toEqual([
      ['CWE-020_mini_1', 'direct-generation', PORT],
      ['CWE-020_mini_1', 'direct-repair', PORT],
    ]);
  });

  it('tagged lines answer their own experiment only, and an experiment the file lacks is refused', async () => {
    const file = replayFile('tagged.jsonl', [
      { task_id: 'CWE-020_mini_1', experiment: 'direct-generation', solution: PORT },
      { task_id: 'CWE-079_mini_1', experiment: 'direct-repair', solution: GREET },
      { task_id: 'CWE-079_mini_1', experiment: 'direct-repair', solution: GREET + '\n# second\n' },
    ]);
    const provider = new ReplayProvider('r', file, ds);
    expect(provider.experiments()).toEqual(['direct-generation', 'direct-repair']);
    expect(provider.samplesFor('CWE-079_mini_1', 'direct-repair')).toBe(2);
    expect(provider.samplesFor('CWE-079_mini_1', 'direct-generation')).toBe(0);

    const out = path.join(dir, 'tagged-samples.jsonl');
    await generateSamples({ dataset: ds, model: `replay:${file}`, outFile: out, experiments: ['direct-generation', 'direct-repair'], cacheDir: null });
    const got = readLines(out).map((l) => `${l.experiment} ${l.task_id} ${l.sample_index}`);
    expect(got.sort()).toEqual(['direct-generation CWE-020_mini_1 0', 'direct-repair CWE-079_mini_1 0', 'direct-repair CWE-079_mini_1 1']);

    await expect(
      generateSamples({ dataset: ds, model: `replay:${file}`, outFile: path.join(dir, 'x.jsonl'), experiments: ['vuln-aware-generation'], cacheDir: null }),
    ).rejects.toThrow(/has no lines for experiment vuln-aware-generation \(its lines are for direct-generation, direct-repair\)/);
  });

  it('refuses a file mixing tagged and untagged lines, and unknown experiment names, naming the line', () => {
    const mixed = replayFile('mixed.jsonl', [
      { task_id: 'CWE-020_mini_1', experiment: 'direct-generation', solution: PORT },
      { task_id: 'CWE-020_mini_1', solution: PORT },
    ]);
    expect(() => new ReplayProvider('r', mixed, ds)).toThrow(/mixed\.jsonl:2: some lines carry "experiment" and some do not/);
    const unknown = replayFile('unknown.jsonl', [{ task_id: 'CWE-020_mini_1', experiment: 'zero-shot', solution: PORT }]);
    expect(() => new ReplayProvider('r', unknown, ds)).toThrow(/unknown\.jsonl:1: experiment: unknown experiment "zero-shot"/);
  });

  it('run defaults: replay → the file’s experiments, else direct-generation; other models → all four', () => {
    const untagged = replayFile('d1.jsonl', [{ task_id: 'CWE-020_mini_1', solution: PORT }]);
    const tagged = replayFile('d2.jsonl', [{ task_id: 'CWE-020_mini_1', experiment: 'explained-repair', solution: PORT }]);
    expect(defaultExperiments(`replay:${untagged}`, PAPER_EXPERIMENTS)).toEqual(['direct-generation']);
    expect(defaultExperiments(`mine=replay:${tagged}`, PAPER_EXPERIMENTS)).toEqual(['explained-repair']);
    expect(defaultExperiments('reference:secure', PAPER_EXPERIMENTS)).toEqual(PAPER_EXPERIMENTS);
  });

  it('run with a replay model and no experiments reports one row, not four copies', async () => {
    const file = replayFile('run.jsonl', [
      { task_id: 'CWE-020_mini_1', solution: PORT },
      { task_id: 'CWE-079_mini_1', solution: GREET },
    ]);
    const outDir = path.join(dir, 'run');
    const summary = await runPipeline({ dataset: ds, models: [`mine=replay:${file}`], outDir, generate: { cacheDir: null } });
    const json = JSON.parse(readFileSync(summary.files.json, 'utf8')) as JsonReport;
    expect(json.runs.map((r) => `${r.model} ${r.experiment}`)).toEqual(['mine direct-generation']);
    expect(readLines(summary.files.samples)).toHaveLength(2);
  }, 120_000);
});

describe('replay: completions are assembled the HumanEval way', () => {
  it('prompt + completion, end to end through generate and evaluate', async () => {
    const task = he.byId.get('Mini/0')!;
    const completion = '    return a + b\n';
    const file = replayFile('he.jsonl', [
      { task_id: 'Mini/0', completion },
      { task_id: 'Mini/0', completion: '    return a - b\n' },
    ]);
    const samples = path.join(dir, 'he-samples.jsonl');
    await generateSamples({ dataset: he, model: `replay:${file}`, outFile: samples, cacheDir: null });
    const lines = readLines(samples);
    expect(lines.map((l) => l.solution)).toEqual([task.problem + completion, task.problem + '    return a - b\n']);
    expect(lines.map((l) => l.extraction)).toEqual(['replay:completion', 'replay:completion']);

    const results = path.join(dir, 'he-results.jsonl');
    await evaluateSamples({ samplesFile: samples, outFile: results, dataset: he, jobs: 2 });
    // Results come in the order samples finish.
    expect(readLines(results).sort((a, b) => Number(a.sample_index) - Number(b.sample_index)).map((r) => r.status)).toEqual(['passed', 'failed']);

    // The same completion given straight to evaluate is assembled the same way.
    const direct = replayFile('he-direct.jsonl', [{ task_id: 'Mini/0', completion }]);
    const directResults = path.join(dir, 'he-direct-results.jsonl');
    await evaluateSamples({ samplesFile: direct, outFile: directResults, dataset: he, jobs: 1 });
    expect(readLines(directResults)[0]!.status).toBe('passed');
  }, 60_000);
});
