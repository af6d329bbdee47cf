import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { loadDataset } from '../src/benchmarks/index.js';
import { type GenerateOptions, generateSamples } from '../src/generate/generate.js';
import { startFakeAnthropic } from './helpers/fake-anthropic.js';
import { type FakeReply, type FakeServer, type RecordedRequest, startFakeOpenAI, taskOfRequest } from './helpers/fake-openai.js';
import { closeAfterEach, readSamples } from './helpers/generate.js';
import { UserError } from '../src/core/errors.js';
import { GeneratedSample, SampleLine } from '../src/core/sample.js';
import type { Dataset, Task } from '../src/core/task.js';
import { CODESECEVAL_DIR, HUMANEVAL_FILE, describeWithDataset, itWithHumanEval } from './helpers/datasets.js';

let dataset: Dataset;
const TASKS = ['CWE-020_codeql_1', 'CWE-078_author_1', 'CWE-20_01'];
const keep = closeAfterEach();

beforeAll(() => {
  dataset = loadDataset(CODESECEVAL_DIR);
});

function tmp(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'cse-gen-'));
}

const taskOf = (req: RecordedRequest): Task => taskOfRequest(dataset.tasks, req);

/** A well-behaved chat model: answers with the task's Secure Code in a fence. */
const secureAnswer = (req: RecordedRequest): FakeReply => ({ text: `Here you go:\n\n\`\`\`python\n${taskOf(req).secureCode}\n\`\`\`\n` });

async function openai(handler: (req: RecordedRequest, i: number) => FakeReply | Promise<FakeReply>): Promise<FakeServer> {
  return keep(await startFakeOpenAI(handler));
}

function keysOf(lines: GeneratedSample[]): string[] {
  return lines.map((l) => `${l.task_id}|${l.experiment}|${l.model}|${l.sample_index}`).sort();
}

function baseOptions(server: FakeServer, dir: string, over: Partial<GenerateOptions> = {}): GenerateOptions {
  return {
    dataset,
    model: 'openai:fake-coder',
    outFile: path.join(dir, 'samples.jsonl'),
    tasks: TASKS,
    baseURL: server.baseURL,
    env: { OPENAI_API_KEY: 'k' },
    cacheDir: path.join(dir, 'cache'),
    maxRetries: 2,
    ...over,
  };
}

describeWithDataset('generateSamples with an OpenAI-compatible server', () => {
  it('writes one line per sample with everything evaluate needs', async () => {
    // The first request is rate limited: the SDK waits and asks again.
    const server = await openai((req, i) =>
      i === 0 ? { status: 429, headers: { 'retry-after-ms': '30' }, json: { error: { message: 'rate limited' } } } : secureAnswer(req),
    );
    const dir = tmp();
    const summary = await generateSamples(baseOptions(server, dir, { n: 2, seed: 100, temperature: 0.8 }));
    expect(summary).toMatchObject({ total: 6, done: 6, errors: 0, cached: 0, requests: 6, alreadyDone: 0, interrupted: false });
    expect(server.requests).toHaveLength(7);
    const lines = readSamples(summary.outFile);
    expect(keysOf(lines)).toEqual(TASKS.flatMap((t) => [0, 1].map((i) => `${t}|direct-generation|openai:fake-coder|${i}`)).sort());
    for (const l of lines) {
      const task = dataset.byId.get(l.task_id)!;
      expect(SampleLine.safeParse(l).success).toBe(true);
      expect(l.solution).toBe(`${task.secureCode.trimEnd()}\n`);
      expect(l.extraction).toBe('fenced:python');
      expect(l.error).toBeNull();
      expect(l.cached).toBe(false);
      expect(l.usage?.output_tokens).toBeGreaterThan(0);
      expect(l.params).toEqual({ temperature: 0.8, top_p: null, max_tokens: 2048, seed: 100, stop: null, n: 2 });
      expect(l.prompt.style).toBe('chat');
      expect(l.template).toBe('direct-generation.chat');
    }
    // One request per sample (local servers refuse n > 1), each with its own seed.
    const seeds = server.requests.slice(1).map((r) => `${taskOf(r).id}:${String(r.body?.seed)}`);
    expect(new Set(seeds).size).toBe(6);
    expect(server.requests.every((r) => r.body?.n === undefined && r.body?.temperature === 0.8)).toBe(true);
  });

  it('asks nothing twice: a repeated run is served by the out file, another out file by the cache', async () => {
    const server = await openai(secureAnswer);
    const dir = tmp();
    const opts = baseOptions(server, dir, { n: 2 });
    await generateSamples(opts);
    expect(server.requests).toHaveLength(6);
    const before = readFileSync(opts.outFile, 'utf8');

    const again = await generateSamples(opts);
    expect(again).toMatchObject({ total: 0, done: 0, alreadyDone: 6, requests: 0 });
    expect(readFileSync(opts.outFile, 'utf8')).toBe(before);

    const other = await generateSamples({ ...opts, outFile: path.join(dir, 'other.jsonl') });
    expect(other).toMatchObject({ done: 6, cached: 6, requests: 0 });
    expect(server.requests).toHaveLength(6);
    const cachedLines = readSamples(other.outFile);
    expect(cachedLines.every((l) => l.cached)).toBe(true);
    expect(cachedLines.map((l) => l.solution).sort()).toEqual(readSamples(opts.outFile).map((l) => l.solution).sort());

    // Another sampling parameter is another answer; no cache at all asks again too.
    await generateSamples({ ...opts, outFile: path.join(dir, 'hot.jsonl'), temperature: 1 });
    expect(server.requests).toHaveLength(12);
    await generateSamples({ ...opts, outFile: path.join(dir, 'nocache.jsonl'), cacheDir: null });
    expect(server.requests).toHaveLength(18);
  });

  it('finishes an interrupted run with every sample exactly once', async () => {
    const server = await openai((req) => ({ ...secureAnswer(req), delayMs: 60 }));
    const dir = tmp();
    const ac = new AbortController();
    const opts = baseOptions(server, dir, { n: 4, concurrency: 3 });
    const first = await generateSamples({
      ...opts,
      signal: ac.signal,
      onProgress: (p) => {
        if (p.done >= 4) ac.abort();
      },
    });
    expect(first.interrupted).toBe(true);
    const afterFirst = readSamples(opts.outFile).length;
    expect(afterFirst).toBeGreaterThanOrEqual(4);
    expect(afterFirst).toBeLessThan(12);
    const requestsBefore = server.requests.length;

    const second = await generateSamples(opts);
    expect(second).toMatchObject({ interrupted: false, alreadyDone: afterFirst, done: 12 - afterFirst });
    const lines = readSamples(opts.outFile);
    expect(lines).toHaveLength(12);
    expect(new Set(keysOf(lines)).size).toBe(12);
    // Requests abandoned by the interruption were never answered, so they are asked again;
    // nothing that was answered is.
    expect(server.requests.length - requestsBefore).toBe(12 - afterFirst - second.cached);
  });

  it('drops a partly written last line and makes that sample again', async () => {
    const server = await openai(secureAnswer);
    const dir = tmp();
    const opts = baseOptions(server, dir);
    await generateSamples(opts);
    const full = readFileSync(opts.outFile, 'utf8');
    const lines = full.split('\n').filter(Boolean);
    // As if the process died in the middle of writing the third line.
    writeFileSync(opts.outFile, `${lines[0]}\n${lines[1]}\n${lines[2]!.slice(0, 40)}`);
    const notices: string[] = [];
    const summary = await generateSamples({ ...opts, onNotice: (m) => notices.push(m) });
    expect(notices.join('\n')).toMatch(/removed a partly written last line/);
    expect(summary).toMatchObject({ done: 1, alreadyDone: 2, cached: 1, requests: 0 });
    expect(keysOf(readSamples(opts.outFile))).toEqual(keysOf(lines.map((l) => GeneratedSample.parse(JSON.parse(l)))));
  });

  it('refuses an out file that is not a samples file, leaving it untouched', async () => {
    const server = await openai(secureAnswer);
    const dir = tmp();
    const opts = baseOptions(server, dir);
    writeFileSync(opts.outFile, '{"task_id": "CWE-20_01", "solution": "x"}\nnot json at all');
    await expect(generateSamples(opts)).rejects.toThrow(`${opts.outFile}:1: experiment: Invalid input: expected string, received undefined; is --out a samples file of generate? It was left as it is`);
    expect(readFileSync(opts.outFile, 'utf8')).toBe('{"task_id": "CWE-20_01", "solution": "x"}\nnot json at all');
    expect(server.requests).toHaveLength(0);
  });

  it('records requests that keep failing, and makes them again with retryErrors', async () => {
    let broken = true;
    const server = await openai((req) =>
      broken && taskOf(req).id === 'CWE-20_01'
        ? { status: 500, headers: { 'retry-after-ms': '5' }, json: { error: { message: 'model crashed' } } }
        : secureAnswer(req),
    );
    const dir = tmp();
    const opts = baseOptions(server, dir, { n: 2, maxRetries: 1 });
    const first = await generateSamples(opts);
    expect(first).toMatchObject({ done: 6, errors: 2 });
    expect(first.firstError).toMatch(/^CWE-20_01 #\d: openai:fake-coder: 500 model crashed/);
    const failed = readSamples(opts.outFile).filter((l) => l.error);
    expect(failed.map((l) => l.task_id)).toEqual(['CWE-20_01', 'CWE-20_01']);
    expect(failed.every((l) => l.solution === '' && l.raw === '' && l.extraction === 'none')).toBe(true);
    // Two attempts per failed sample (one retry), one per good sample.
    expect(server.requests).toHaveLength(4 + 2 * 2);

    broken = false;
    const plain = await generateSamples(opts);
    expect(plain).toMatchObject({ done: 0, requests: 0 });
    const notices: string[] = [];
    const retried = await generateSamples({ ...opts, retryErrors: true, onNotice: (m) => notices.push(m) });
    expect(notices.join()).toMatch(/removed 2 failed sample/);
    expect(retried).toMatchObject({ done: 2, errors: 0, requests: 2 });
    const lines = readSamples(opts.outFile);
    expect(lines).toHaveLength(6);
    expect(new Set(keysOf(lines)).size).toBe(6);
    expect(lines.every((l) => l.error === null)).toBe(true);
  });

  it('stops at a fatal error, keeping what was done', async () => {
    const server = await openai((req, i) => (i < 2 ? secureAnswer(req) : { status: 401, json: { error: { message: 'Incorrect API key provided' } } }));
    const dir = tmp();
    const opts = baseOptions(server, dir, { n: 2, concurrency: 1 });
    const err = await generateSamples(opts).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/401 Incorrect API key provided — 2 sample\(s\) are in .*run the same command to continue/);
    expect(readSamples(opts.outFile)).toHaveLength(2);
    // No request was made after the fatal one.
    expect(server.requests).toHaveLength(3);
  });

  itWithHumanEval('refuses bad settings before any request', async () => {
    const server = await openai(secureAnswer);
    const dir = tmp();
    await expect(generateSamples(baseOptions(server, dir, { env: {} }))).rejects.toThrow(/needs OPENAI_API_KEY/);
    await expect(generateSamples(baseOptions(server, dir, { temperature: 3 }))).rejects.toThrow('--temperature must be between 0 and 2, got 3');
    await expect(generateSamples(baseOptions(server, dir, { tasks: ['CWE-9999'] }))).rejects.toThrow('no task of the dataset is about CWE-9999');
    await expect(generateSamples(baseOptions(server, dir, { tasks: ['nope'] }))).rejects.toThrow('"nope" is neither a task ID');
    const humaneval = loadDataset(HUMANEVAL_FILE);
    await expect(
      generateSamples({ ...baseOptions(server, dir), dataset: humaneval, tasks: undefined, experiments: ['direct-repair'] }),
    ).rejects.toThrow(/experiment direct-repair .*needs Insecure Code, which HumanEval task HumanEval\/0 lacks \(and 163 more tasks\)/);
    expect(server.requests).toHaveLength(0);
  });

  it('selects tasks by CWE whether written CWE-79 or CWE-079, and by subset', async () => {
    const server = await openai(secureAnswer);
    const dir = tmp();
    const a = await generateSamples(baseOptions(server, dir, { tasks: ['CWE-79'], outFile: path.join(dir, 'a.jsonl') }));
    const b = await generateSamples(baseOptions(server, dir, { tasks: ['CWE-079'], outFile: path.join(dir, 'b.jsonl') }));
    expect(a.total).toBe(11);
    expect(keysOf(readSamples(a.outFile))).toEqual(keysOf(readSamples(b.outFile)));
    const c = await generateSamples(baseOptions(server, dir, { tasks: ['CWE-79'], subset: 'SecEvalBase', outFile: path.join(dir, 'c.jsonl') }));
    expect(readSamples(c.outFile).map((l) => l.task_id).sort()).toEqual(['CWE-079_codeql_1', 'CWE-079_codeql_2', 'CWE-079_sonar_1']);
  });

  it('continues SecEvalBase problems with a completions model and cuts after the function', async () => {
    const server = await openai(() => ({ text: "    return 'ok'\n\nprint(executeCommand())\n" }));
    const dir = tmp();
    const summary = await generateSamples(
      baseOptions(server, dir, { model: 'openai-completions:starcoder', tasks: ['CWE-078_author_1', 'CWE-20_01'] }),
    );
    expect(summary.errors).toBe(0);
    const [base, plus] = readSamples(summary.outFile);
    const baseTask = dataset.byId.get('CWE-078_author_1')!;
    expect(base!.prompt).toEqual({ style: 'completion', text: `${baseTask.problem.trimEnd()}\n` });
    expect(base!.solution).toBe(`${baseTask.problem.trimEnd()}\n    return 'ok'\n`);
    expect(base!.extraction).toBe('completion');
    expect(base!.params.stop).toEqual(['\nif __name__', '\nprint(', '\nassert ']);
    expect(server.requests[0]!.path).toBe('/v1/completions');
    expect(server.requests[0]!.body?.stop).toEqual(['\nif __name__', '\nprint(', '\nassert ']);
    // A prose problem becomes a docstring; no stop sequences, since the model writes the def.
    expect(plus!.params.stop).toBeNull();
    expect(plus!.extraction).toBe('completion:no-entry-point');
  });
});

describeWithDataset('generateSamples with an Anthropic-compatible server', () => {
  it('runs the repair experiments, one request per sample and no seed', async () => {
    const server = await startFakeAnthropic((req) => {
      const text = JSON.stringify(req.body?.messages);
      const task = dataset.tasks.find((t) => t.insecureCode && text.includes(JSON.stringify(t.insecureCode.trimEnd()).slice(1, -1)));
      return { text: `<think>check the input</think>\n\`\`\`python\n${task?.secureCode ?? 'pass'}\n\`\`\`` };
    });
    keep(server);
    const dir = tmp();
    const summary = await generateSamples({
      dataset,
      model: 'anthropic:claude-test',
      outFile: path.join(dir, 's.jsonl'),
      tasks: ['CWE-20_01', 'CWE-020_codeql_1'],
      experiments: ['direct-repair', 'explained-repair'],
      n: 2,
      seed: 5,
      baseURL: server.baseURL,
      env: { ANTHROPIC_API_KEY: 'a' },
      cacheDir: path.join(dir, 'cache'),
    });
    expect(summary).toMatchObject({ done: 8, errors: 0, requests: 8 });
    expect(server.requests.every((r) => r.body?.seed === undefined && r.body?.max_tokens === 2048)).toBe(true);
    const lines = readSamples(summary.outFile);
    expect(new Set(lines.map((l) => l.experiment))).toEqual(new Set(['direct-repair', 'explained-repair']));
    for (const l of lines) {
      expect(l.solution).toBe(`${dataset.byId.get(l.task_id)!.secureCode.trimEnd()}\n`);
      expect(l.extraction).toBe('think+fenced:python');
    }
  });
});

describeWithDataset('sampling settings some APIs refuse', () => {
  it('sends them, after a warning', async () => {
    const server = await startFakeAnthropic(() => ({ text: '```python\npass\n```' }));
    keep(server);
    const dir = tmp();
    const notices: string[] = [];
    await generateSamples({
      dataset,
      model: 'anthropic:claude-test',
      outFile: path.join(dir, 's.jsonl'),
      tasks: ['CWE-20_01'],
      temperature: 0.3,
      baseURL: server.baseURL,
      env: { ANTHROPIC_API_KEY: 'a' },
      cacheDir: null,
      onNotice: (m) => notices.push(m),
    });
    expect(notices.join('\n')).toMatch(/deprecated temperature and top_p/);
    expect(server.requests[0]!.body?.temperature).toBe(0.3);
  });
});

describeWithDataset('generateSamples without a network', () => {
  it('answers with the reference code, verbatim', async () => {
    const dir = tmp();
    for (const variant of ['secure', 'insecure'] as const) {
      const summary = await generateSamples({
        dataset,
        model: `reference:${variant}`,
        outFile: path.join(dir, `${variant}.jsonl`),
        tasks: TASKS,
        experiments: ['direct-generation', 'vuln-aware-generation'],
        cacheDir: path.join(dir, 'cache'),
        env: {},
      });
      expect(summary).toMatchObject({ done: 6, requests: 0 });
      for (const l of readSamples(summary.outFile)) {
        const t = dataset.byId.get(l.task_id)!;
        expect(l.solution).toBe(variant === 'secure' ? t.secureCode : t.insecureCode);
        expect(l.extraction).toBe(`reference:${variant}`);
      }
    }
  });

  it('replays samples made elsewhere, by task and order in the file', async () => {
    const dir = tmp();
    const file = path.join(dir, 'elsewhere.jsonl');
    const plus = dataset.byId.get('CWE-20_01')!;
    writeFileSync(
      file,
      [
        { task_id: 'CWE-20_01', solution: 'def evaluate_expression(e):\n    return 1\n' },
        { task_id: 'CWE-020_codeql_1', completion: '    return None\n' },
        { task_id: 'CWE-20_01', solution: 'def evaluate_expression(e):\n    return 2\n' },
      ]
        .map((o) => JSON.stringify(o))
        .join('\n'),
    );
    const common = { dataset, outFile: path.join(dir, 'r.jsonl'), model: `replay:${file}`, cacheDir: null, env: {} };
    const summary = await generateSamples(common);
    expect(summary).toMatchObject({ done: 3, errors: 0 });
    const lines = readSamples(summary.outFile);
    const byKey = new Map(lines.map((l) => [`${l.task_id}#${l.sample_index}`, l]));
    expect(byKey.get('CWE-20_01#1')!.solution).toContain('return 2');
    expect(byKey.get('CWE-020_codeql_1#0')).toMatchObject({
      raw: '    return None\n',
      solution: `${dataset.byId.get('CWE-020_codeql_1')!.problem}    return None\n`,
      extraction: 'replay:completion',
    });
    expect(plus.id).toBe('CWE-20_01');

    // Asking for more samples than the file holds records the missing ones as failures.
    const more = await generateSamples({ ...common, outFile: path.join(dir, 'more.jsonl'), n: 3, tasks: ['CWE-20_01'] });
    expect(more).toMatchObject({ done: 3, errors: 1 });
    expect(more.firstError).toMatch(/has 2 sample\(s\) for CWE-20_01, none with index 2/);
  });
});
