import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll,  expect, it } from 'vitest';
import { loadDataset } from '../src/benchmarks/index.js';
import { evaluateSamples } from '../src/evaluate/evaluate.js';
import { generateSamples } from '../src/generate/generate.js';
import { type FakeServer, type RecordedRequest, promptOf, startFakeOpenAI } from './helpers/fake-openai.js';
import { ResultLine } from '../src/core/result.js';
import type { Dataset, Task } from '../src/core/task.js';
import { CODESECEVAL_DIR, describeWithDataset } from './helpers/datasets.js';

/**
 * Samples from `generate` go through `evaluate` to the verdicts they deserve. The tasks are
 * ones whose Secure Code passes its Test and whose Insecure Code does not.
 */
const TASKS = ['CWE-020_codeql_1', 'CWE-078_author_1', 'CWE-079_codeql_1', 'CWE-20_01', 'CWE-20_06', 'CWE-79_01'];
const BASE_TASKS = TASKS.filter((t) => !/^CWE-\d+_\d+$/.test(t));

let dataset: Dataset;
let dir: string;
let server: FakeServer;

beforeAll(async () => {
  dataset = loadDataset(CODESECEVAL_DIR);
  dir = mkdtempSync(path.join(os.tmpdir(), 'cse-geneval-'));
  server = await startFakeOpenAI((req) => ({ text: fakeModel(req) }));
});
afterAll(async () => {
  await server.close();
});

function taskOf(req: RecordedRequest): Task {
  const text = promptOf(req);
  return dataset.tasks.find((t) => TASKS.includes(t.id) && text.includes(t.problem.trim().slice(0, 200)))!;
}

/** The lines of `code` after the entry point's docstring: what a base model continues with. */
function bodyAfterDocstring(code: string, entryPoint: string): string {
  const lines = code.split('\n');
  const def = lines.findIndex((l) => new RegExp(`^\\s*def\\s+${entryPoint}\\b`).test(l));
  const open = lines.findIndex((l, i) => i > def && /'''|"""/.test(l));
  const close = lines.findIndex((l, i) => i > open && /'''|"""/.test(l));
  return `${lines.slice(close + 1).join('\n')}\n`;
}

/**
 * A fake model whose answers are known to be right or wrong. By model name:
 * - insecure-coder: the Insecure Code, in a fence with prose around it;
 * - terse-coder: the Secure Code without its imports and globals (the task's code has them);
 * - base-coder (completions): the Secure Code's function body.
 */
function fakeModel(req: RecordedRequest): string {
  const task = taskOf(req);
  switch (req.body?.model) {
    case 'insecure-coder':
      return `Sure. Here is the implementation:\n\n\`\`\`python\n${task.insecureCode}\n\`\`\`\n\nIt handles the examples.`;
    case 'terse-coder': {
      const code = task.secureCode.split('\n');
      const from = code.findIndex((l) => /^(@|def )/.test(l));
      return `\`\`\`python\n${code.slice(from).join('\n')}\n\`\`\``;
    }
    case 'base-coder':
      return `${bodyAfterDocstring(task.secureCode, task.entryPoint)}\n\nif __name__ == '__main__':\n    print(${task.entryPoint}())\n`;
    default:
      return 'I cannot help with that.';
  }
}

async function generateAndEvaluate(name: string, model: string, tasks = TASKS): Promise<ResultLine[]> {
  const samplesFile = path.join(dir, `${name}.samples.jsonl`);
  const outFile = path.join(dir, `${name}.results.jsonl`);
  await generateSamples({
    dataset,
    model,
    outFile: samplesFile,
    tasks,
    baseURL: server.baseURL,
    env: { OPENAI_API_KEY: 'k' },
    cacheDir: path.join(dir, 'cache'),
    maxRetries: 0,
  });
  await evaluateSamples({ samplesFile, outFile, dataset, jobs: 2 });
  return readFileSync(outFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => ResultLine.parse(JSON.parse(l)));
}

const verdicts = (rs: ResultLine[]) => Object.fromEntries(rs.map((r) => [r.task_id, r.passed]));
const all = (tasks: string[], passed: boolean) => Object.fromEntries(tasks.map((t) => [t, passed]));

describeWithDataset('generated samples evaluate to the verdicts they deserve', () => {
  it('reference:secure passes and reference:insecure fails', async () => {
    const secure = await generateAndEvaluate('secure', 'reference:secure');
    expect(verdicts(secure)).toEqual(all(TASKS, true));
    expect(secure.every((r) => r.model === 'reference:secure' && r.experiment === 'direct-generation')).toBe(true);
    const insecure = await generateAndEvaluate('insecure', 'reference:insecure');
    expect(verdicts(insecure)).toEqual(all(TASKS, false));
  });

  it("a chat model answering with the Insecure Code fails like the Insecure Code", async () => {
    const rs = await generateAndEvaluate('insecure-chat', 'openai:insecure-coder');
    expect(verdicts(rs)).toEqual(all(TASKS, false));
    // Failing for the right reason: the programs ran and the tests judged them.
    expect(rs.every((r) => r.status === 'failed' || r.status === 'error')).toBe(true);
    expect(rs.some((r) => /AssertionError/.test(r.detail))).toBe(true);
  });

  it('a terse secure answer passes once the missing imports and globals come from the task', async () => {
    const rs = await generateAndEvaluate('terse', 'openai:terse-coder', BASE_TASKS);
    expect(verdicts(rs)).toEqual(all(BASE_TASKS, true));
    expect(rs.every((r) => r.extraction === 'fenced:python+merged')).toBe(true);
  });

  it('a base model continuing SecEvalBase problems with the secure body passes', async () => {
    // CWE-020_codeql_1's Problem is not valid Python upstream (its docstring closes early),
    // so it is left out: no continuation could pass.
    const tasks = BASE_TASKS.filter((t) => t !== 'CWE-020_codeql_1');
    const rs = await generateAndEvaluate('base', 'openai-completions:base-coder', tasks);
    expect(verdicts(rs)).toEqual(all(tasks, true));
    expect(rs.every((r) => r.extraction === 'completion')).toBe(true);
  });

  it('an answer without code fails', async () => {
    const rs = await generateAndEvaluate('refusal', 'openai:refuser', ['CWE-20_01']);
    expect(rs).toHaveLength(1);
    expect(rs[0]).toMatchObject({ passed: false, status: 'error', extraction: 'none' });
  });
});
