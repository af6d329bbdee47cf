import type { ChildProcess } from 'node:child_process';
import { type CliChild, killLeftChildren, spawnCli } from './helpers/cli.js';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, expect, it } from 'vitest';
import { loadDataset } from '../src/benchmarks/index.js';
import { type FakeServer, promptOf, startFakeOpenAI } from './helpers/fake-openai.js';
import { readSamples } from './helpers/generate.js';
import type { GeneratedSample } from '../src/core/sample.js';
import type { Dataset } from '../src/core/task.js';
import { CODESECEVAL_DIR, describeWithDataset } from './helpers/datasets.js';

const DATASET = CODESECEVAL_DIR;
const TASKS = 'CWE-20_01,CWE-078_author_1,CWE-79_01';
let dataset: Dataset;
let server: FakeServer | null = null;
const children: ChildProcess[] = [];

beforeAll(() => {
  dataset = loadDataset(path.resolve(DATASET));
});
afterEach(async () => {
  killLeftChildren(children);
  await server?.close();
  server = null;
});

/** The real CLI in a child process, as a user runs it. */
function cli(args: string[], env: Record<string, string>): CliChild {
  return spawnCli(args, env, children);
}

/** Each (task, experiment, model, index) must appear once. */
function expectEachOnce(lines: GeneratedSample[], expected: number): void {
  const keys = lines.map((l) => `${l.task_id}|${l.experiment}|${l.model}|${l.sample_index}`);
  expect(keys).toHaveLength(expected);
  expect(new Set(keys).size).toBe(expected);
}

const answer = (prompt: string) => {
  const task = dataset.tasks.find((t) => prompt.includes(t.problem.trim()));
  return `\`\`\`python\n${task?.secureCode ?? 'pass'}\n\`\`\``;
};

describeWithDataset('codeseceval generate', () => {
  it('killed with SIGKILL mid-run, then run again: every sample exactly once', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cse-kill-'));
    const out = path.join(dir, 'samples.jsonl');
    server = await startFakeOpenAI((req) => ({ text: answer(promptOf(req)), delayMs: 150 }));
    const env = { OPENAI_API_KEY: 'k', CODESECEVAL_CACHE: path.join(dir, 'cache') };
    const args = ['generate', '--model', 'openai:fake', '--base-url', server.baseURL, '--dataset', DATASET, '--tasks', TASKS];
    const argv = [...args, '-n', '4', '--concurrency', '3', '--out', out];

    const first = cli(argv, env);
    // Kill once several answers have been written and more are in flight.
    const deadline = Date.now() + 30_000;
    while (server.requests.length < 7 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    first.child.kill('SIGKILL');
    const killed = await first.done;
    expect(killed.signal).toBe('SIGKILL');
    const requestsAtKill = server.requests.length;
    expect(requestsAtKill).toBeGreaterThanOrEqual(7);
    expect(requestsAtKill).toBeLessThan(12);

    const second = await cli(argv, env).done;
    expect(second.code).toBe(0);
    const lines = readSamples(out);
    expectEachOnce(lines, 12);
    expect(lines.every((l) => l.error === null && l.solution.length > 0)).toBe(true);
    // Answers that arrived before the kill were cached even if their line was not written;
    // requests in flight at the kill are asked again. Nothing else is.
    const m = /\((\d+) request\(s\), (\d+) from cache, 0 failed; (\d+) were already there\)/.exec(second.stderr);
    expect(m, second.stderr).not.toBeNull();
    const [secondRequests, fromCache, already] = [Number(m![1]), Number(m![2]), Number(m![3])];
    expect(secondRequests + fromCache + already).toBe(12);
    expect(server.requests.length).toBe(requestsAtKill + secondRequests);
    expect(server.requests.length - 12).toBeLessThanOrEqual(3);

    // Plain progress lines, not a bar, when stderr is not a terminal.
    expect(second.stderr).toMatch(/^generate: \d+\/\d+ \(/m);

    // And once more: nothing left to do, no request.
    const third = await cli(argv, env).done;
    expect(third.code).toBe(0);
    expect(third.stderr).toMatch(/nothing to do: all 12 samples are already in/);
    expect(readSamples(out)).toHaveLength(12);
    expect(server.requests.length).toBe(requestsAtKill + secondRequests);
  });

  it('says what is wrong in one line and exits 1 on bad input', async () => {
    const bad = await cli(['generate', '--model', 'gemini:pro', '--dataset', DATASET], {}).done;
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/^codeseceval: --model "gemini:pro": unknown provider "gemini"; valid forms: openai:<model>/);
    const env = { OPENAI_API_KEY: '' };
    const noKey = await cli(['generate', '--model', 'openai:x', '--dataset', DATASET], env).done;
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toMatch(/needs OPENAI_API_KEY/);
  });

  it('exits 3 when some samples failed, and says how to make them again', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cse-fail-'));
    server = await startFakeOpenAI((req) =>
      promptOf(req).includes('evaluate_expression')
        ? { status: 503, headers: { 'retry-after-ms': '1' }, json: { error: { message: 'unavailable' } } }
        : { text: answer(promptOf(req)) },
    );
    const run = await cli(
      [
        'generate',
        '--model',
        'openai:fake',
        '--base-url',
        server.baseURL,
        '--dataset',
        DATASET,
        '--tasks',
        TASKS,
        '--max-retries',
        '0',
        '--out',
        path.join(dir, 's.jsonl'),
        '--no-cache',
      ],
      { OPENAI_API_KEY: 'k', CODESECEVAL_CACHE: path.join(dir, 'cache') },
    ).done;
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/first failure: CWE-20_01 #0: openai:fake: 503 unavailable; --retry-errors makes failed samples again/);
    expect(readSamples(path.join(dir, 's.jsonl'))).toHaveLength(3);
  });
});
