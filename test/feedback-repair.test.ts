import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type ChildProcess, spawn } from 'node:child_process';
import { afterEach, beforeAll, expect, it, vi } from 'vitest';
import { loadDataset } from '../src/benchmarks/index.js';
import { registerGenerate } from '../src/cli/generate.js';
import { registerRun } from '../src/cli/run.js';
import type { Dataset, Task } from '../src/core/task.js';
import { evaluateSamples } from '../src/evaluate/evaluate.js';
import { type GenerateOptions, generateSamples } from '../src/generate/generate.js';
import { buildReport, type Report } from '../src/report/build.js';
import { headlineText } from '../src/report/headline.js';
import { renderCsv } from '../src/report/csv.js';
import { renderHtml } from '../src/report/html.js';
import { toJson } from '../src/report/json.js';
import { renderMarkdown } from '../src/report/markdown.js';
import { killLeftChildren, runCliInProcess } from './helpers/cli.js';
import { CODESECEVAL_DIR, describeWithDataset } from './helpers/datasets.js';
import { chatRound, type FakeReply, type FakeServer, messagesOf, type RecordedRequest, startFakeOpenAI, taskOfRequest } from './helpers/fake-openai.js';
import { closeAfterEach, readSamples } from './helpers/generate.js';

// Tasks whose Secure Code passes and Insecure Code fails their own test (dataset validate: ok).
const TASKS = ['CWE-020_codeql_1', 'CWE-078_author_1', 'CWE-20_01', 'CWE-79_01'];
let dataset: Dataset;
const keep = closeAfterEach();

beforeAll(() => {
  dataset = loadDataset(CODESECEVAL_DIR);
});
const children: ChildProcess[] = [];
afterEach(() => {
  killLeftChildren(children);
  vi.unstubAllEnvs();
});

/** The real CLI in a child process, as a user runs it. */
function cli(args: string[], env: Record<string, string>): { child: ChildProcess; done: Promise<{ code: number | null; signal: string | null; stderr: string }> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: path.resolve(import.meta.dirname, '..'),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number | null; signal: string | null; stderr: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stderr })),
  );
  return { child, done };
}

function tmp(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'cse-feedback-'));
}

/** The task of a conversation: its first user turn is the task's prompt. */
const taskOf = (req: RecordedRequest): Task => taskOfRequest(dataset.tasks, req);

const fenced = (code: string): FakeReply => ({ text: `Here is the program:\n\n\`\`\`python\n${code}\n\`\`\`\n` });

/** Insecure Code first; the Secure Code as soon as it has been given feedback. */
const learner = (req: RecordedRequest): FakeReply => {
  const t = taskOf(req);
  return fenced(chatRound(req) === 0 ? t.insecureCode! : t.secureCode);
};
/** Always the Insecure Code, whatever it is told. */
const stubborn = (req: RecordedRequest): FakeReply => fenced(taskOf(req).insecureCode!);

async function openai(handler: (req: RecordedRequest, i: number) => FakeReply | Promise<FakeReply>): Promise<FakeServer> {
  return keep(await startFakeOpenAI(handler));
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
    // The terminal summary shows the change the experiment exists to show.
    expect(headlineText(report)).toMatch(/feedback-repair-tests: round 0 → round \d pass@1 0\.0 → 100\.0 \(\+100\.0 \[\+100\.0, \+100\.0\], p [<0-9.]+\)/);

    // The model was asked round 0 and round 1 of every task, once each, and stopped: tests pass.
    expect([...requestsPer(server)].sort()).toEqual(TASKS.flatMap((t) => [[`${t}#0`, 1], [`${t}#1`, 1]]).sort());
    const samples = readSamples(path.join(dir, 'samples.jsonl'));
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
    for (const s of readSamples(path.join(dir, 'samples.jsonl'))) {
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
    const samples = readSamples(path.join(dir, 'samples.jsonl'));
    expect(samples.map((s) => s.rounds!.length)).toEqual([3, 3]);
    expect(samples.every((s) => s.rounds!.every((r) => r.passed === true && r.findings === undefined))).toBe(true);
    expect(samples[0]!.rounds![1]!.feedback).toMatch(/^Review the code you just wrote for security problems/);
    expect(server.requests).toHaveLength(6);
  }, 120_000);

  it('analyzer feedback shows findings and no test information, and stops only when the analyzer is clean', async () => {
    const dir = tmp();
    const server = await openai(stubborn);
    await generateSamples(options(dir, { baseURL: server.baseURL, experiments: ['feedback-repair-analyzer'], rounds: 1, tasks: ['CWE-078_author_1'] }));
    const [s] = readSamples(path.join(dir, 'samples.jsonl'));
    const r0 = s!.rounds![0]!;
    expect(r0.status).not.toBe('passed');
    expect(r0.findings!.length).toBeGreaterThan(0);
    const fb = s!.rounds![1]!.feedback!;
    expect(fb).toMatch(/The static analyzer \(bandit\) reports \d+ issue\(s\):\n- line \d+: B\d+/);
    expect(fb).not.toMatch(/Result:|check \d+ of|hidden test/);
    expect(s!['feedback_repair']).toMatchObject({ kind: 'analyzer', analyzer: 'bandit', stopped: 'rounds' });
  }, 120_000);

  it('killed with SIGKILL in round 2 and run again: resumes in round 2, no answered round is asked twice', async () => {
    const dir = tmp();
    const out = path.join(dir, 'samples.jsonl');
    // Round 2 answers hang in the first run, so the kill finds every sample inside round 2.
    let hangRound2 = true;
    const server = await openai((req) => {
      const reply = fenced(chatRound(req) === 0 ? taskOf(req).insecureCode! : taskOf(req).secureCode);
      return hangRound2 && chatRound(req) === 2 ? { ...reply, delayMs: 600_000 } : reply;
    });
    const tasks = TASKS.slice(0, 3);
    const env = { OPENAI_API_KEY: 'k', CODESECEVAL_CACHE: path.join(dir, 'cache') };
    const argv = [
      'generate', '--model', 'openai:fake', '--base-url', server.baseURL, '--dataset', CODESECEVAL_DIR, '--tasks', tasks.join(','),
      '--experiments', 'feedback-repair-none', '--rounds', '3', '--concurrency', '3', '--out', out,
    ];
    const first = cli(argv, env);
    const deadline = Date.now() + 120_000;
    while (server.requests.filter((r) => chatRound(r) === 2).length < tasks.length && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    first.child.kill('SIGKILL');
    expect((await first.done).signal).toBe('SIGKILL');
    const atKill = server.requests.length;
    expect([...requestsPer(server)].sort()).toEqual(tasks.flatMap((t) => [0, 1, 2].map((r) => [`${t}#${r}`, 1])).sort());

    hangRound2 = false;
    const second = await cli(argv, env).done;
    expect(second.code, second.stderr).toBe(0);
    // Rounds 0 and 1 came from the cache; round 2 (never answered) and round 3 were asked.
    const after = server.requests.slice(atKill);
    expect(after.map((r) => `${taskOf(r).id}#${chatRound(r)}`).sort()).toEqual(tasks.flatMap((t) => [`${t}#2`, `${t}#3`]).sort());
    expect(second.stderr).toMatch(/\(6 request\(s\), 6 from cache, 0 failed\)/);
    const written = readSamples(out);
    expect(written.map((s) => s.task_id).sort()).toEqual([...tasks].sort());
    for (const s of written) {
      expect(s.rounds!.map((r) => [r.round, r.cached])).toEqual([
        [0, true],
        [1, true],
        [2, false],
        [3, false],
      ]);
    }
  }, 240_000);

  it('run --split --analyze: per-round func/sec split from soft runs made while generating, and the static-analysis section', async () => {
    const dir = tmp();
    const server = await openai(learner);
    vi.stubEnv('OPENAI_API_KEY', 'k');
    const out = path.join(dir, 'run');
    const r = await runCliInProcess(registerRun, [
      'run', '--model', 'openai:fake', '--base-url', server.baseURL, '--dataset', CODESECEVAL_DIR, '--tasks', TASKS.join(','),
      '--experiments', 'feedback-repair-tests', '--rounds', '2', '--split', '--analyze', '--cache', path.join(dir, 'cache'), '--out', out,
    ]);
    expect(r.exitCode, r.stderr).toBe(0);
    // Every long step shows progress, the analysis too; the summary gives round 0 → final.
    expect(r.stderr).toMatch(/analyzing: \d+\/\d+/);
    expect(r.stdout).toMatch(/openai:fake \/ feedback-repair-tests: round 0 → round 2 pass@1 /);
    for (const s of readSamples(path.join(out, 'samples.jsonl'))) {
      const withoutSoft = s.rounds!.filter((x) => x.soft === undefined).map((x) => ({ task: s.task_id, round: x.round, error: x.error, status: x.status }));
      expect(withoutSoft).toEqual([]);
    }
    const json = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')) as ReturnType<typeof toJson>;
    const run = json.runs[0]!;
    const split = run.rounds!.map((x) => x.split!.subsets[0]!);
    // Insecure Code first: some task works but is vulnerable (func > func-sec); after feedback, the Secure Code is both.
    expect(split[0]!.func_at_k['1']!).toBeGreaterThan(split[0]!.func_sec_at_k['1']!);
    expect(split[1]!.func_sec_at_k['1']).toBe(1);
    expect(json.static_analysis).toBeDefined();
    const md = readFileSync(path.join(out, 'report.md'), 'utf8');
    expect(md).toContain('## Feedback repair: functional vs secure after each round');
  }, 300_000);

  it('refuses models that cannot hold a conversation, in one line, before any request', async () => {
    const dir = tmp();
    const server = await openai(learner);
    vi.stubEnv('OPENAI_API_KEY', 'k');
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
