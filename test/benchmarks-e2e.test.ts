import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadDataset } from '../src/benchmarks/index.js';
import { ResultLine } from '../src/core/result.js';
import type { Experiment } from '../src/core/experiments.js';
import type { Dataset, Task } from '../src/core/task.js';
import { evaluateSamples } from '../src/evaluate/evaluate.js';
import { generateSamples } from '../src/generate/generate.js';
import { type FakeServer, type RecordedRequest, messagesOf, promptOf, startFakeOpenAI } from './helpers/fake-openai.js';
import { CWEVAL_DIR, SALLM_DIR, describeWithCweval, describeWithSallm } from './helpers/datasets.js';

/**
 * SALLM and CWEval from a model's answer to a verdict with its test cases: the same generate
 * and evaluate stages as CodeSecEval, a fake OpenAI server on 127.0.0.1, the real sandbox.
 * Answers come in the shapes chat and base models really give: a whole module in a fence with
 * prose around it, only the function (the prompt's imports and `app` left out), or the body
 * that continues the prompt.
 */
let dir: string;
let server: FakeServer;
const datasets: Dataset[] = [];

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'cse-bench-e2e-'));
  server = await startFakeOpenAI((req) => ({ text: fakeModel(req) }));
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

function taskOf(req: RecordedRequest): Task {
  const text = promptOf(req);
  for (const ds of datasets) {
    const t = ds.tasks.find((x) => text.includes(x.problem.trim().slice(0, 300)));
    if (t) return t;
  }
  throw new Error(`no task in prompt: ${text.slice(0, 200)}`);
}

const SECURE_MATCH = [
  'import re',
  '',
  'def match_string(target_string):',
  "    pattern = re.compile(r'[a-zA-Z]+\\.[a-zA-Z]+\\.[a-zA-Z]+$')",
  '    return pattern.match(target_string) is not None',
].join('\n');

const UNSAFE_LS = [
  'import subprocess',
  '',
  'def get_ls_result(dir_path: str) -> str:',
  '    try:',
  "        return subprocess.check_output(f'ls -l {dir_path}', shell=True, stderr=subprocess.STDOUT, text=True)",
  '    except subprocess.CalledProcessError:',
  "        return ''",
].join('\n');

/** Only the definitions: from the first decorator or def on. */
function functionOnly(code: string): string {
  const lines = code.split('\n');
  return lines.slice(lines.findIndex((l) => /^(@|def )/.test(l))).join('\n');
}

function fakeModel(req: RecordedRequest): string {
  const task = taskOf(req);
  const reference = task.insecureCode ?? task.secureCode;
  switch (req.body?.model) {
    case 'module-coder':
      return `Here is the complete module:\n\n\`\`\`python\n${reference}\n\`\`\`\n\nIt keeps the route as asked.`;
    case 'function-coder':
      return `\`\`\`python\n${functionOnly(reference)}\n\`\`\``;
    case 'base-coder':
      return reference.slice(task.problem.length);
    case 'secure-coder':
      if (task.id === 'Assertion_Author_A_cwe020_0') return `Escaping the dots:\n\`\`\`python\n${SECURE_MATCH}\n\`\`\``;
      if (task.id === 'cwe_078_0') return `\`\`\`python\n${UNSAFE_LS}\n\`\`\``;
      return `\`\`\`python\n${task.secureCode}\n\`\`\``;
    default:
      return 'I cannot help with that.';
  }
}

async function run(ds: Dataset, name: string, model: string, tasks: string[], experiments?: Experiment[]): Promise<ResultLine[]> {
  const samplesFile = path.join(dir, `${name}.samples.jsonl`);
  const outFile = path.join(dir, `${name}.results.jsonl`);
  await generateSamples({ dataset: ds, model, outFile: samplesFile, tasks, ...(experiments ? { experiments, engine: { jobs: 2 } } : {}), baseURL: server.baseURL, env: { OPENAI_API_KEY: 'k' }, cacheDir: path.join(dir, 'cache'), maxRetries: 0 });
  await evaluateSamples({ samplesFile, outFile, dataset: ds, jobs: 2 });
  return readFileSync(outFile, 'utf8').split('\n').filter(Boolean).map((l) => ResultLine.parse(JSON.parse(l)));
}

/** `task: functionality passed/total, security passed/total`, the figures func@k and the SALLM scores count. */
function caseSummary(rs: ResultLine[]): Record<string, string> {
  return Object.fromEntries(
    rs.map((r) => {
      const of = (role: string) => {
        const cs = (r.cases ?? []).filter((c) => c.role === role);
        return `${cs.filter((c) => c.outcome === 'passed').length}/${cs.length}`;
      };
      return [r.task_id, `functionality ${of('functionality')}, security ${of('security')}`];
    }),
  );
}

describeWithSallm('SALLM end to end', () => {
  const TASKS = ['Assertion_Author_A_cwe020_0', 'Tainted_Author_A_cwe078_0'];
  let ds: Dataset;
  beforeAll(() => {
    ds = loadDataset(SALLM_DIR);
    datasets.push(ds);
  });
  const insecure = { Assertion_Author_A_cwe020_0: 'functionality 1/1, security 0/1', Tainted_Author_A_cwe078_0: 'functionality 1/1, security 0/1' };

  it('reference:insecure and every shape of answer carrying the insecure module pass functionality and fail security', async () => {
    const ref = await run(ds, 'sallm-ref', 'reference:insecure', TASKS);
    expect(caseSummary(ref)).toEqual(insecure);
    expect(ref.every((r) => r.status === 'failed' && !r.passed)).toBe(true);
    for (const model of ['openai:module-coder', 'openai:function-coder', 'openai-completions:base-coder']) {
      const rs = await run(ds, `sallm-${model.split(':')[1]}`, model, TASKS);
      expect(caseSummary(rs), model).toEqual(insecure);
    }
  });

  it("chat models get SALLM's own prompt: the task's prompt itself as the user message, code asked for in a system message", () => {
    const firsts = server.requests.filter((r) => r.body?.model === 'module-coder' && Array.isArray(r.body?.messages));
    const byTask = new Map(firsts.map((r) => [taskOf(r).id, messagesOf(r)]));
    expect([...byTask.keys()].sort()).toEqual([...TASKS].sort());
    for (const id of TASKS) {
      const [system, user, ...rest] = byTask.get(id)!;
      expect(rest).toEqual([]);
      expect(system!.role).toBe('system');
      expect(system!.content).toMatch(/code only/);
      expect(user).toEqual({ role: 'user', content: ds.tasks.find((t) => t.id === id)!.problem });
    }
  });

  it('feedback-repair runs its rounds against the test file and direct-repair starts from the insecure module', async () => {
    const rs = await run(ds, 'sallm-feedback', 'openai:module-coder', ['Assertion_Author_A_cwe020_0'], ['feedback-repair-tests', 'direct-repair']);
    expect(rs.map((r) => r.experiment).sort()).toEqual(['direct-repair', 'feedback-repair-tests']);
    // The model repeats the insecure module every round: it stays vulnerable, case by case.
    expect(caseSummary(rs)).toEqual({ Assertion_Author_A_cwe020_0: 'functionality 1/1, security 0/1' });
    const fb = rs.find((r) => r.experiment === 'feedback-repair-tests')!;
    expect(JSON.stringify(fb)).toContain('test_vulnerability (a security check)');
  });

  it('a secure answer passes both its cases; reference:secure is refused in one line', async () => {
    const rs = await run(ds, 'sallm-secure', 'openai:secure-coder', ['Assertion_Author_A_cwe020_0']);
    expect(rs[0]).toMatchObject({ passed: true, status: 'passed' });
    expect(caseSummary(rs)).toEqual({ Assertion_Author_A_cwe020_0: 'functionality 1/1, security 1/1' });
    await expect(run(ds, 'sallm-no-secure', 'reference:secure', TASKS)).rejects.toThrow(/reference:secure: SALLM task Assertion_Author_A_cwe020_0 has no secure reference program/);
  });
});

describeWithCweval('CWEval end to end', () => {
  const TASKS = ['cwe_020_0', 'cwe_078_0'];
  let ds: Dataset;
  beforeAll(() => {
    ds = loadDataset(CWEVAL_DIR);
    datasets.push(ds);
  });

  it('the reference solution passes every case, as a chat answer and as a continuation', async () => {
    for (const model of ['reference:secure', 'openai:module-coder', 'openai-completions:base-coder']) {
      const rs = await run(ds, `cweval-${model.replace(/\W/g, '-')}`, model, TASKS);
      expect(rs.map((r) => `${r.task_id} ${r.status}`).sort(), model).toEqual(['cwe_020_0 passed', 'cwe_078_0 passed']);
      expect(rs.every((r) => r.cases!.some((c) => c.role === 'functionality') && r.cases!.some((c) => c.role === 'security'))).toBe(true);
    }
  });

  it('shell=True passes the functionality cases and fails security ones, case by case', async () => {
    const rs = await run(ds, 'cweval-unsafe', 'openai:secure-coder', ['cwe_078_0']);
    expect(rs[0]!.passed).toBe(false);
    const cases = rs[0]!.cases!.filter((c) => c.name.startsWith('test_get_ls_result['));
    expect(cases.filter((c) => c.role === 'functionality').every((c) => c.outcome === 'passed')).toBe(true);
    expect(cases.filter((c) => c.role === 'security').some((c) => c.outcome === 'failed')).toBe(true);
  });

  it('reference:insecure is refused in one line', async () => {
    await expect(run(ds, 'cweval-no-insecure', 'reference:insecure', TASKS)).rejects.toThrow(/reference:insecure: CWEval task cwe_020_0 has no insecure reference program/);
  });
});
