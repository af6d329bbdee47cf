import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runSoak } from '../bench/soak-generate.js';
import { registerGenerate } from '../src/cli/generate.js';
import { registerRun } from '../src/cli/run.js';
import { loadDataset } from '../src/benchmarks/index.js';
import { UserError } from '../src/core/errors.js';
import type { Dataset, Task } from '../src/core/task.js';
import { type GenerateOptions, generateSamples } from '../src/generate/generate.js';
import { CODESECEVAL_DIR, describeWithDataset } from './helpers/datasets.js';
import { type FakeReply, type FakeServer, type RecordedRequest, startFakeOpenAI, taskOfRequest } from './helpers/fake-openai.js';
import { closeAfterEach, readSamples } from './helpers/generate.js';

const TASKS = ['CWE-020_codeql_1', 'CWE-078_author_1', 'CWE-20_01'];
let dataset: Dataset;
const keep = closeAfterEach();
const dirs: string[] = [];

afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'cse-robust-'));
  dirs.push(d);
  return d;
}

async function serve(handler: (req: RecordedRequest, i: number) => FakeReply): Promise<FakeServer> {
  return keep(await startFakeOpenAI(handler));
}

describeWithDataset('generate against misbehaving servers', () => {
  beforeAll(() => {
    dataset = loadDataset(CODESECEVAL_DIR);
  });

  const taskOf = (req: RecordedRequest): Task => taskOfRequest(dataset.tasks, req);
  const good = (req: RecordedRequest): FakeReply => ({ text: `\`\`\`python\n${taskOf(req).secureCode}\n\`\`\`\n` });

  /** Two samples of three tasks, fast backoff, no cache: every sample is a real request. */
  const options = (server: FakeServer, over: Partial<GenerateOptions> = {}): GenerateOptions => ({
    dataset,
    model: 'openai:fake',
    outFile: path.join(tmp(), 'samples.jsonl'),
    tasks: TASKS,
    n: 2,
    baseURL: server.baseURL,
    env: { OPENAI_API_KEY: 'k' },
    cacheDir: null,
    retryBackoff: { baseDelayMs: 5, maxDelayMs: 20 },
    ...over,
  });

  it('times out a server that stalls after its headers and makes the sample on a retry', async () => {
    const server = await serve((req, i) => (i < 2 ? { text: 'x', stallAfterHeaders: true } : good(req)));
    const opts = options(server, { requestTimeoutMs: 1000 });
    const summary = await generateSamples(opts);
    expect(summary).toMatchObject({ done: 6, errors: 0 });
    const lines = readSamples(opts.outFile);
    expect(lines).toHaveLength(6);
    expect(lines.every((l) => l.error === null && l.solution.length > 0)).toBe(true);
    expect(server.requests).toHaveLength(8);
  });

  it('records a sample whose server always stalls once the retries are spent, and goes on', async () => {
    const server = await serve((req) => (taskOf(req).id === 'CWE-20_01' ? { text: 'x', stallAfterHeaders: true } : good(req)));
    const opts = options(server, { requestTimeoutMs: 1000, maxRetries: 1 });
    const summary = await generateSamples(opts);
    expect(summary).toMatchObject({ done: 6, errors: 2 });
    const failed = readSamples(opts.outFile).filter((l) => l.error);
    expect(failed.map((l) => l.task_id)).toEqual(['CWE-20_01', 'CWE-20_01']);
    expect(failed[0]!.error).toContain(`${server.baseURL} sent no complete answer within 1 s (--request-timeout)`);
  });

  it('loses nothing to a 429/500 storm longer than the old six attempts', async () => {
    const server = await serve((req, i) =>
      i < 10 ? { status: i % 2 ? 500 : 429, json: { error: { message: `storm ${i}` } } } : good(req),
    );
    const opts = options(server, { concurrency: 1 });
    const summary = await generateSamples(opts);
    expect(summary).toMatchObject({ done: 6, errors: 0 });
    expect(readSamples(opts.outFile).every((l) => l.error === null)).toBe(true);
    expect(server.requests).toHaveLength(16);
  });

  it('honours Retry-After, and records the sample when the server asks for more than the budget', async () => {
    const server = await serve((req, i) => {
      if (taskOf(req).id === 'CWE-20_01') return { status: 429, headers: { 'retry-after': '600' }, json: { error: { message: 'quota' } } };
      return i < 2 ? { status: 429, headers: { 'retry-after': '0.2' }, json: { error: { message: 'wait' } } } : good(req);
    });
    const opts = options(server, { concurrency: 1, retryBudgetMs: 30_000 });
    const summary = await generateSamples(opts);
    expect(summary).toMatchObject({ done: 6, errors: 2 });
    const failed = readSamples(opts.outFile).filter((l) => l.error);
    expect(failed.map((l) => l.error)).toEqual([
      'openai:fake: 429 quota; the server asked to wait 600 s; retry budget of 30 s spent (--retry-budget)',
      'openai:fake: 429 quota; the server asked to wait 600 s; retry budget of 30 s spent (--retry-budget)',
    ]);
    // The two short waits were waited out, the long one was not: one request per CWE-20_01 sample.
    expect(server.requests.filter((r) => taskOf(r).id === 'CWE-20_01')).toHaveLength(2);
  });

  it('names the server that answered invalid JSON, on the sample', async () => {
    const server = await serve((req) => (taskOf(req).id === 'CWE-078_author_1' ? { body: '{"choices": [{"mess' } : good(req)));
    const opts = options(server);
    const summary = await generateSamples(opts);
    expect(summary).toMatchObject({ done: 6, errors: 2 });
    expect(summary.firstError).toContain(`${server.baseURL} answered invalid JSON (`);
    const failed = readSamples(opts.outFile).filter((l) => l.error);
    expect(failed).toHaveLength(2);
    for (const l of failed) {
      expect(l.task_id).toBe('CWE-078_author_1');
      expect(l.error).toMatch(new RegExp(`^openai:fake: ${server.baseURL.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} answered invalid JSON \\(.+\\) \\(3 attempts in`));
      expect(l.solution).toBe('');
    }
  });

  it('stops the run on a bad key without asking again', async () => {
    const server = await serve(() => ({ status: 401, json: { error: { message: 'Incorrect API key provided' } } }));
    const opts = options(server, { concurrency: 1 });
    const err = await generateSamples(opts).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/^openai:fake: 401 Incorrect API key provided — 0 sample\(s\) are in /);
    expect(server.requests).toHaveLength(1);
  });

  it('stops the run when nothing listens at the address', async () => {
    const server = await serve(good);
    const url = server.baseURL;
    await server.close();
    const err = await generateSamples({ ...options(server), baseURL: url }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toContain(`openai:fake: cannot reach the server at ${url}`);
  });

  it('stops at once, without retrying, on an address the client itself refuses', async () => {
    const server = await serve(good);
    // fetch never connects to port 9 ("bad port"): the same on every attempt, so one line, no retries.
    // A retry would wait a minute first, far beyond the test's time limit.
    const err = await generateSamples({ ...options(server), baseURL: 'http://127.0.0.1:9/v1', retryBackoff: { baseDelayMs: 60_000, maxDelayMs: 60_000 } }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/^openai:fake: the client refuses http:\/\/127\.0\.0\.1:9\/v1: the port is one that fetch never connects to .*not retried/);
    expect(server.requests).toHaveLength(0);
  });

  it('hints at /v1 when a base URL without it answers 404', async () => {
    // A server that, like vLLM or Ollama, has no route outside /v1.
    const http = await import('node:http');
    const srv = http.createServer((_req, res) => {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"detail":"Not Found"}');
    });
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
    try {
      const root = `http://127.0.0.1:${(srv.address() as { port: number }).port}`;
      const fake = { baseURL: root } as FakeServer;
      const err = await generateSamples({ ...options(fake), baseURL: root }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UserError);
      expect((err as Error).message).toContain(`does not end in /v1, where OpenAI-style servers answer: try --base-url ${root}/v1`);
    } finally {
      await new Promise((resolve) => srv.close(resolve));
    }
  });

  it('soak: 60 samples against a server failing every 7th request, each exactly once', async () => {
    const f = await runSoak({ dataset, n: 2, tasks: 30, concurrency: 6, outDir: tmp(), retryBackoff: { baseDelayMs: 5, maxDelayMs: 20 } });
    expect(f).toMatchObject({ expected: 60, written: 60, duplicates: 0, missing: 0, failed: 0 });
    expect(f.retries).toBeGreaterThanOrEqual(8);
    expect(f.requests).toBe(60 + f.retries);
  });
});

/** A command's flag parsing in-process: what it printed, and how it exited. */
async function parse(register: (p: Command) => void, argv: string[]): Promise<{ stderr: string; exitCode: number }> {
  let stderr = '';
  const program = new Command()
    .exitOverride()
    .configureOutput({ writeErr: (s) => (stderr += s), writeOut: () => {} });
  register(program);
  try {
    await program.parseAsync(['node', 'codeseceval', ...argv]);
  } catch (e) {
    if (e instanceof CommanderError) return { stderr, exitCode: e.exitCode };
    throw e;
  }
  throw new Error('expected the flags to be refused');
}

describe('numeric flags of generate and run', () => {
  const cases: [string, string, RegExp][] = [
    ['--temperature', 'abc', /--temperature must be a number from 0 to 2, got "abc"/],
    ['--temperature', '2.5', /--temperature must be a number from 0 to 2, got "2.5"/],
    ['--top-p', '0', /--top-p must be a number above 0, at most 1, got "0"/],
    ['--seed', '1.5', /--seed must be an integer, got "1.5"/],
    ['--seed', '', /--seed must be an integer, got ""/],
    ['--request-timeout', 'soon', /--request-timeout must be seconds above 0, at most 86400, got "soon"/],
    ['--request-timeout', '0', /--request-timeout must be seconds above 0/],
    ['--retry-budget', '-1', /--retry-budget must be seconds from 0 to 86400, got "-1"/],
    ['--max-retries', '2.5', /--max-retries must be a whole number, 0 or more, got "2.5"/],
  ];
  it.each(cases)('generate %s %j is one line naming the flag, exit 1', async (flag, value, message) => {
    const r = await parse(registerGenerate, ['generate', '--model', 'openai:x', flag, value]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });
  it.each(cases)('run %s %j is one line naming the flag, exit 1', async (flag, value, message) => {
    const r = await parse(registerRun, ['run', '--model', 'openai:x', flag, value]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });

  it('the real CLI prints no stack trace and exits 1', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'generate', '--model', 'openai:x', '--temperature', 'abc'], {
      cwd: path.resolve(import.meta.dirname, '..'),
      env: { ...process.env, OPENAI_API_KEY: 'k' },
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^error: option '--temperature <t>' argument 'abc' is invalid\. --temperature must be a number from 0 to 2, got "abc"\.\n/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
