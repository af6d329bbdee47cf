/**
 * Issue 18: a damaged results or samples file is repaired, not started over. For each kind of
 * damage, the resume is refused naming `codeseceval repair`; after the repair the same
 * command finishes the run, and what it holds equals an undamaged run (real evaluate in the
 * sandbox; real generate against a fake server).
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../src/benchmarks/index.js';
import type { Dataset, Task } from '../src/core/task.js';
import { evaluateSamples } from '../src/evaluate/evaluate.js';
import { repairFile } from '../src/evaluate/repair.js';
import { generateSamples, type GenerateOptions } from '../src/generate/generate.js';
import { CODESECEVAL_DIR, describeWithDataset } from './helpers/datasets.js';
import { startFakeOpenAI, taskOfRequest, type FakeServer } from './helpers/fake-openai.js';
import { makeTask } from './helpers/task.js';
import { runCliInProcess } from './helpers/cli.js';
import { registerEvaluate } from '../src/cli/evaluate.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'cse-repair-resume-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const lines = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean);

/** The damage kinds of issue 18, each applied to the lines of a finished file. */
const DAMAGE: Record<string, (ls: string[]) => string> = {
  'a corrupt middle line': (ls) => ls.map((l, i) => (i === 2 ? l.slice(0, l.length >> 1) : l)).join('\n') + '\n',
  'a garbage last line': (ls) => [...ls.slice(0, -1), '\u0000\u00ffgarbage'].join('\n') + '\n',
  'a wrong-shaped last line': (ls) => [...ls.slice(0, -1), '{"task_id":"T/add","sample_index":"one"}'].join('\n') + '\n',
  'a repeated sample': (ls) => [...ls.slice(0, 3), ls[1]!, ...ls.slice(3)].join('\n') + '\n',
};

describe('a damaged results file: repair, then the same evaluate finishes it', () => {
  const add = makeTask({ id: 'T/add', fixtureName: 'T_add', entryPoint: 'add', test: 'def check(candidate):\n    assert candidate(2, 3) == 5\n' });
  const neg = makeTask({ id: 'T/neg', fixtureName: 'T_neg', entryPoint: 'neg', test: 'def check(candidate):\n    assert candidate(2) == -2\n' });
  const dataset: Dataset = { kind: 'codeseceval', source: 'test', tasks: [add, neg], byId: new Map<string, Task>([[add.id, add], [neg.id, neg]]) };
  const samples = path.join(dir, 'samples.jsonl');
  const undamaged = path.join(dir, 'undamaged.jsonl');
  const verdicts = (file: string) =>
    lines(file)
      .map((l) => JSON.parse(l) as { task_id: string; sample_index: number; status: string })
      .map((r) => `${r.task_id}#${r.sample_index}=${r.status}`)
      .sort();

  beforeAll(async () => {
    const programs = [
      ['T/add', 'def add(a, b):\n    return a + b\n'],
      ['T/add', 'def add(a, b):\n    return a - b\n'],
      ['T/add', 'def add(a, b):\n    raise ValueError()\n'],
      ['T/neg', 'def neg(x):\n    return -x\n'],
      ['T/neg', 'def neg(x):\n    return x\n'],
      ['T/neg', 'def neg(x) return\n'],
    ];
    writeFileSync(samples, programs.map(([task_id, solution]) => JSON.stringify({ task_id, solution, model: 'm', experiment: 'e' })).join('\n') + '\n');
    await evaluateSamples({ samplesFile: samples, outFile: undamaged, dataset, jobs: 2 });
  }, 120_000);

  for (const [kind, damage] of Object.entries(DAMAGE)) {
    it(`${kind}`, async () => {
      const out = path.join(dir, `${kind.replace(/\W+/g, '-')}.jsonl`);
      const damaged = damage(lines(undamaged));
      writeFileSync(out, damaged);
      await expect(evaluateSamples({ samplesFile: samples, outFile: out, dataset, jobs: 2 })).rejects.toThrow(/`codeseceval repair .*` moves the bad lines/);
      expect(readFileSync(out, 'utf8')).toBe(damaged);
      const repaired = await repairFile(out);
      expect(repaired.rejected).toHaveLength(1);
      const summary = await evaluateSamples({ samplesFile: samples, outFile: out, dataset, jobs: 2 });
      // Every good line is kept: only the sample whose line was lost is run again.
      expect(summary.resumed).toBe(kind === 'a repeated sample' ? 6 : 5);
      expect(verdicts(out)).toEqual(verdicts(undamaged));
      expect(readFileSync(`${out}.bak`, 'utf8')).toBe(damaged);
    }, 120_000);
  }

  it('a samples file with a repeated sample: evaluate refuses naming repair; after it, the verdicts of the run without the repeat', async () => {
    const repeated = path.join(dir, 'samples-repeated.jsonl');
    const ls = lines(samples).map((l, i) => JSON.stringify({ ...JSON.parse(l), sample_index: i % 3 }));
    writeFileSync(repeated, [...ls, ls[4]!.replace('return x', 'return -x')].join('\n') + '\n');
    const out = path.join(dir, 'from-repeated.jsonl');
    await expect(evaluateSamples({ samplesFile: repeated, outFile: out, dataset, jobs: 2 })).rejects.toThrow(/:7: repeats sample T\/neg #1 .*\(first at line 5\).*`codeseceval repair /);
    const r = await repairFile(repeated);
    expect(r.rejected.map((x) => x.line)).toEqual([7]);
    await evaluateSamples({ samplesFile: repeated, outFile: out, dataset, jobs: 2 });
    expect(verdicts(out)).toEqual(verdicts(undamaged));
  }, 120_000);
});

describeWithDataset('a damaged samples file: repair, then the same generate finishes it', () => {
  const TASKS = ['CWE-020_codeql_1', 'CWE-078_author_1'];
  let dataset: Dataset;
  let server: FakeServer;
  let answers = 0;
  beforeAll(async () => {
    dataset = loadDataset(CODESECEVAL_DIR);
    server = await startFakeOpenAI((req) => ({ text: `\`\`\`python\n# answer ${++answers}\n${taskOfRequest(dataset.tasks, req).secureCode}\n\`\`\`\n` }));
  });
  afterAll(async () => server?.close());

  const options = (outFile: string): GenerateOptions => ({
    dataset,
    model: 'openai:fake-coder',
    outFile,
    tasks: TASKS,
    n: 2,
    baseURL: server.baseURL,
    env: { OPENAI_API_KEY: 'k' },
    cacheDir: path.join(dir, 'gen-cache'),
    maxRetries: 0,
  });
  const made = (file: string) =>
    lines(file)
      .map((l) => JSON.parse(l) as { task_id: string; sample_index: number; solution: string; experiment: string })
      .map((s) => `${s.experiment}|${s.task_id}#${s.sample_index}=${s.solution}`)
      .sort();

  it('each kind of damage', async () => {
    const undamagedSamples = path.join(dir, 'gen-undamaged.jsonl');
    await generateSamples(options(undamagedSamples));
    const asked = server.requests.length;
    for (const [kind, damage] of Object.entries(DAMAGE)) {
      const out = path.join(dir, `gen-${kind.replace(/\W+/g, '-')}.jsonl`);
      copyFileSync(undamagedSamples, out);
      const damaged = damage(lines(undamagedSamples));
      writeFileSync(out, damaged);
      await expect(generateSamples(options(out)), kind).rejects.toThrow(/`codeseceval repair .*` moves the bad lines/);
      expect(readFileSync(out, 'utf8')).toBe(damaged);
      expect((await repairFile(out)).rejected, kind).toHaveLength(1);
      await generateSamples(options(out));
      expect(made(out), kind).toEqual(made(undamagedSamples));
    }
    // The samples made again came from the response cache: nothing was paid for twice.
    expect(server.requests.length).toBe(asked);
  }, 120_000);
});

describeWithDataset('evaluate --repair', () => {
  it('moves the bad lines of --out aside, then resumes: the verdicts of an undamaged run', async () => {
    const ds = loadDataset(CODESECEVAL_DIR);
    const t = ds.byId.get('CWE-020_codeql_1')!;
    const samples = path.join(dir, 'cli-samples.jsonl');
    writeFileSync(samples, [t.secureCode, 'pass', t.secureCode].map((solution) => JSON.stringify({ task_id: t.id, solution })).join('\n') + '\n');
    const undamaged = path.join(dir, 'cli-undamaged.jsonl');
    const args = (out: string, ...more: string[]) => ['evaluate', '--samples', samples, '--out', out, '--dataset', CODESECEVAL_DIR, '--jobs', '2', ...more];
    expect((await runCliInProcess(registerEvaluate, args(undamaged))).exitCode).toBe(0);
    const out = path.join(dir, 'cli-damaged.jsonl');
    writeFileSync(out, DAMAGE['a corrupt middle line']!(lines(undamaged)));
    const refused = await runCliInProcess(registerEvaluate, args(out));
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain(`\`codeseceval repair ${out}\` moves the bad lines`);
    expect((await runCliInProcess(registerEvaluate, args(out, '--repair', '--fresh'))).stderr).toMatch(/--repair and --fresh do not go together/);
    const o = await runCliInProcess(registerEvaluate, args(out, '--repair'));
    expect(o.exitCode, o.stderr).toBe(0);
    expect(o.stderr).toContain(`  line 3: invalid JSON`);
    expect(o.stderr).toContain(`${out}: kept 2 lines, moved 1 to ${out}.rejected`);
    expect(o.stderr).toContain('3 samples (2 kept from an earlier run)');
    const verdicts = (f: string) => lines(f).map((l) => { const r = JSON.parse(l) as { sample_index: number; status: string }; return `${r.sample_index}=${r.status}`; }).sort();
    expect(verdicts(out)).toEqual(verdicts(undamaged));
  }, 120_000);
});

