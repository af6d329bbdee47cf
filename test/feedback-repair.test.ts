import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, expect, it } from 'vitest';
import { loadDataset } from '../src/benchmarks/index.js';
import { registerGenerate } from '../src/cli/generate.js';
import { GeneratedSample } from '../src/core/sample.js';
import type { Dataset, Task } from '../src/core/task.js';
import { evaluateSamples } from '../src/evaluate/evaluate.js';
import { type GenerateOptions, generateSamples } from '../src/generate/generate.js';
import { buildReport, type Report } from '../src/report/build.js';
import { renderCsv } from '../src/report/csv.js';
import { renderHtml } from '../src/report/html.js';
import { toJson } from '../src/report/json.js';
import { renderMarkdown } from '../src/report/markdown.js';
import { runCliInProcess } from './helpers/cli.js';
import { CODESECEVAL_DIR, describeWithDataset } from './helpers/datasets.js';
import { chatRound, type FakeReply, type FakeServer, messagesOf, promptOf, type RecordedRequest, startFakeOpenAI } from './helpers/fake-openai.js';

// Tasks whose Secure Code passes and Insecure Code fails their own test (dataset validate: ok).
const TASKS = ['CWE-020_codeql_1', 'CWE-078_author_1', 'CWE-20_01', 'CWE-79_01'];
let dataset: Dataset;
let servers: FakeServer[] = [];

beforeAll(() => {
  dataset = loadDataset(CODESECEVAL_DIR);
});
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

function tmp(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'cse-feedback-'));
}

/** The task of a conversation: its first user turn is the task's prompt. */
function taskOf(req: RecordedRequest): Task {
  const text = promptOf(req);
  const found = dataset.tasks.find((t) => text.includes(t.problem.trim()));
  if (!found) throw new Error('fake model: prompt names no known task');
  return found;
}

const fenced = (code: string): FakeReply => ({ text: `Here is the program:\n\n\`\`\`python\n${code}\n\`\`\`\n` });

/** Insecure Code first; the Secure Code as soon as it has been given feedback. */
const learner = (req: RecordedRequest): FakeReply => {
  const t = taskOf(req);
  return fenced(chatRound(req) === 0 ? t.insecureCode! : t.secureCode);
};
/** Always the Insecure Code, whatever it is told. */
const stubborn = (req: RecordedRequest): FakeReply => fenced(taskOf(req).insecureCode!);

async function openai(handler: (req: RecordedRequest, i: number) => FakeReply | Promise<FakeReply>): Promise<FakeServer> {
  const s = await startFakeOpenAI(handler);
  servers.push(s);
  return s;
}

function lines(file: string): GeneratedSample[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => GeneratedSample.parse(JSON.parse(l)));
}

function options(dir: string, over: Partial<GenerateOptions>): GenerateOptions {
  return {
    dataset,
    model: 'openai:fake-coder',
    outFile: path.join(dir, 'samples.jsonl'),
    tasks: TASKS,
    env: { OPENAI_API_KEY: 'k' },
    cacheDir: path.join(dir, 'cache'),
    maxRetries: 1,
    ...over,
  };
}

/** generate → evaluate → report, the way `run` chains them. */
async function pipeline(dir: string, over: Partial<GenerateOptions>, name = 'samples'): Promise<Report> {
  const samples = path.join(dir, `${name}.jsonl`);
  const results = path.join(dir, `${name}.results.jsonl`);
  await generateSamples(options(dir, { outFile: samples, ...over }));
  await evaluateSamples({ samplesFile: samples, outFile: results, dataset });
  return buildReport({ resultsFiles: [results], dataset, ks: [1], bootstrap: { resamples: 200 } });
}

function overall(report: Report, experiment: string): number | null {
  const run = report.scores.runs.find((r) => r.experiment === experiment)!;
  return run.subsets[0]!.passAtK[0] ?? null;
}

function requestsPer(server: FakeServer): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of server.requests) {
    const key = `${taskOf(r).id}#${chatRound(r)}`;
    m.set(key, (m.get(key) ?? 0) + 1);
  }
  return m;
}

describeWithDataset('feedback-repair experiments', () => {
  it('round 0 scores like reference:insecure, round 1 like reference:secure, and every report format shows it', async () => {
    const dir = tmp();
    const server = await openai(learner);
    const report = await pipeline(dir, { baseURL: server.baseURL, experiments: ['feedback-repair-tests'], rounds: 3 });
    const insecure = await pipeline(dir, { model: 'reference:insecure', experiments: ['direct-generation'] }, 'insecure');
    const secure = await pipeline(dir, { model: 'reference:secure', experiments: ['direct-generation'] }, 'secure');
    expect(overall(insecure, 'direct-generation')).toBe(0);
    expect(overall(secure, 'direct-generation')).toBe(1);

    // The model was asked round 0 and round 1 of every task, once each, and stopped: tests pass.
    expect([...requestsPer(server)].sort()).toEqual(TASKS.flatMap((t) => [[`${t}#0`, 1], [`${t}#1`, 1]]).sort());
    const samples = lines(path.join(dir, 'samples.jsonl'));
    expect(samples).toHaveLength(TASKS.length);
    for (const s of samples) {
      const t = dataset.byId.get(s.task_id)!;
      expect(s.rounds!.map((r) => [r.round, r.status === 'passed', r.done ?? false])).toEqual([
        [0, false, false],
        [1, true, true],
      ]);
      expect(s.solution.trim()).toBe(t.secureCode.trim());
      expect(s.rounds![0]!.solution.trim()).toBe(t.insecureCode!.trim());
      expect(s['feedback_repair']).toMatchObject({ kind: 'tests', base_experiment: 'direct-generation', max_rounds: 3, stopped: 'done' });
      // Tokens of both rounds are kept, and the sample's usage is their sum.
      expect(s.usage!.input_tokens).toBe(s.rounds!.reduce((a, r) => a + r.usage!.input_tokens, 0));
      // What the model was told: a CI-like result, never the test's source.
      const feedback = s.rounds![1]!.feedback!;
      expect(feedback).toMatch(/Result: (failed|error)\./);
      for (const line of t.test.split('\n').filter((l) => /^\s*assert\b/.test(l))) expect(feedback).not.toContain(line.trim());
    }
    // The second request carries the conversation: system, task, the model's own answer, feedback.
    const second = server.requests.find((r) => chatRound(r) === 1)!;
    const msgs = messagesOf(second);
    expect(msgs.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(msgs[3]!.content).toContain('hidden test suite');

    const run = report.rounds![0]!;
    expect(run).toMatchObject({ model: 'openai:fake-coder', experiment: 'feedback-repair-tests', oracle: true, maxRound: 3, disagreements: 0 });
    const curve = run.rounds.map((r) => r.subsets[0]!.passAtK[0]);
    expect(curve).toEqual([overall(insecure, 'direct-generation'), overall(secure, 'direct-generation'), 1, 1]);
    expect(curve[3]).toBe(overall(report, 'feedback-repair-tests'));
    expect(run.rounds.map((r) => [r.asked, r.done])).toEqual([
      [4, 0],
      [4, 4],
      [0, 0],
      [0, 0],
    ]);
    const cmp = run.compare.subsets[0]!.perK[0]!;
    expect(cmp).toMatchObject({ meanA: 0, meanB: 1, diff: 1, bBetter: 4, aBetter: 0, ties: 0 });

    const md = renderMarkdown(report);
    expect(md).toContain('## Feedback repair: pass@k (%) after each round');
    expect(md).toMatch(/\| openai:fake-coder \| feedback-repair-tests \(oracle\) \| 0 \| 4 \| 0 \| 0\.0 \|/);
    expect(md).toMatch(/\| openai:fake-coder \| feedback-repair-tests \(oracle\) \| 1 \| 4 \| 4 \| 100\.0 \|/);
    expect(md).toContain('## Feedback repair: final round vs round 0');
    expect(md).toMatch(/oracle: the model was shown test results/);
    const html = renderHtml(report);
    expect(html).toContain('<figure id="chart-rounds"><svg');
    expect(html).toContain('pass@1 after each feedback round');
    const json = toJson(report);
    const jrun = json.runs.find((r) => r.experiment === 'feedback-repair-tests')!;
    expect(jrun.rounds!.map((r) => r.subsets[0]!.pass_at_k['1'])).toEqual([0, 1, 1, 1]);
    expect(jrun.oracle).toBe(true);
    const csv = renderCsv(report).trim().split('\n');
    expect(csv[0]!.split(',').at(-1)).toBe('round');
    expect(csv.filter((l) => l.startsWith('openai:fake-coder,feedback-repair-tests,subset,CodeSecEval,')).map((l) => l.split(',').at(-1))).toEqual(['', '0', '1', '2', '3']);
  }, 180_000);

  it('a model that never improves keeps its score and stops after --rounds', async () => {
    const dir = tmp();
    const server = await openai(stubborn);
    const report = await pipeline(dir, { baseURL: server.baseURL, experiments: ['feedback-repair-tests'], rounds: 2 });
    expect([...requestsPer(server)].sort()).toEqual(TASKS.flatMap((t) => [0, 1, 2].map((r) => [`${t}#${r}`, 1])).sort());
    for (const s of lines(path.join(dir, 'samples.jsonl'))) {
      expect(s.rounds!.map((r) => r.passed)).toEqual([false, false, false]);
      expect(s['feedback_repair']).toMatchObject({ stopped: 'rounds', max_rounds: 2 });
    }
    const run = report.rounds![0]!;
    expect(run.rounds.map((r) => r.subsets[0]!.passAtK[0])).toEqual([0, 0, 0]);
    expect(run.compare.subsets[0]!.perK[0]).toMatchObject({ diff: 0, ties: 4 });
  }, 180_000);

  it('none has no stop signal: every round is asked even when the tests pass', async () => {
    const dir = tmp();
    const server = await openai((req) => fenced(taskOf(req).secureCode));
    await generateSamples(options(dir, { baseURL: server.baseURL, experiments: ['feedback-repair-none'], rounds: 2, tasks: TASKS.slice(0, 2) }));
    const samples = lines(path.join(dir, 'samples.jsonl'));
    expect(samples.map((s) => s.rounds!.length)).toEqual([3, 3]);
    expect(samples.every((s) => s.rounds!.every((r) => r.passed === true && r.findings === undefined))).toBe(true);
    expect(samples[0]!.rounds![1]!.feedback).toMatch(/^Review the code you just wrote for security problems/);
    expect(server.requests).toHaveLength(6);
  }, 120_000);

  it('analyzer feedback shows findings and no test information, and stops only when the analyzer is clean', async () => {
    const dir = tmp();
    const server = await openai(stubborn);
    await generateSamples(options(dir, { baseURL: server.baseURL, experiments: ['feedback-repair-analyzer'], rounds: 1, tasks: ['CWE-078_author_1'] }));
    const [s] = lines(path.join(dir, 'samples.jsonl'));
    const r0 = s!.rounds![0]!;
    expect(r0.status).not.toBe('passed');
    expect(r0.findings!.length).toBeGreaterThan(0);
    const fb = s!.rounds![1]!.feedback!;
    expect(fb).toMatch(/The static analyzer \(bandit\) reports \d+ issue\(s\):\n- line \d+: B\d+/);
    expect(fb).not.toMatch(/Result:|check \d+ of|hidden test/);
    expect(s!['feedback_repair']).toMatchObject({ kind: 'analyzer', analyzer: 'bandit', stopped: 'rounds' });
  }, 120_000);

  it('refuses models that cannot hold a conversation, in one line, before any request', async () => {
    const dir = tmp();
    const server = await openai(learner);
    for (const model of ['openai-completions:base-coder', 'reference:secure']) {
      const r = await runCliInProcess(registerGenerate, [
        'generate', '--model', model, '--base-url', server.baseURL, '--dataset', CODESECEVAL_DIR,
        '--experiments', 'feedback-repair-tests', '--tasks', TASKS[0]!, '--out', path.join(dir, 'x.jsonl'),
      ]);
      expect(r.exitCode).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/experiment feedback-repair-tests needs a chat model that can hold a conversation/);
    }
    expect(server.requests).toHaveLength(0);
  });
});
