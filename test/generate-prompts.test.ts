import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../src/benchmarks/index.js';
import { loadTemplates } from '../src/prompts/load.js';
import { missingFields, parseTemplate, renderPrompt } from '../src/prompts/template.js';
import { PAPER_EXPERIMENTS, parseExperiments } from '../src/core/experiments.js';
import type { Prompt } from '../src/core/model.js';
import type { Dataset, Task } from '../src/core/task.js';
import { CODESECEVAL_DIR, HAVE_CODESECEVAL, HUMANEVAL_FILE, describeWithDataset, itWithHumanEval } from './helpers/datasets.js';

let dataset: Dataset;
let base: Task;
let plus: Task;
beforeAll(() => {
  // The suites that use the data are skipped without it; the others run anyway.
  if (!HAVE_CODESECEVAL) return;
  dataset = loadDataset(CODESECEVAL_DIR);
  base = dataset.byId.get('CWE-020_codeql_1')!;
  plus = dataset.byId.get('CWE-20_01')!;
});

const chatOf = (p: Prompt) => {
  if (p.style !== 'chat') throw new Error('expected a chat prompt');
  return p;
};
const textOf = (p: Prompt) => {
  if (p.style !== 'completion') throw new Error('expected a completion prompt');
  return p.text;
};

describeWithDataset('built-in chat templates', () => {
  it('show a code problem as a python block and a prose problem as prose', () => {
    const t = loadTemplates(['direct-generation'], 'chat').get('direct-generation')!;
    const b = chatOf(renderPrompt(t, base));
    expect(b.system).toMatch(/Python/);
    expect(b.user).toContain(`\`\`\`python\n${base.problem.trimEnd()}\n\`\`\``);
    expect(b.user).toContain('`profile`');
    const p = chatOf(renderPrompt(t, plus));
    expect(p.user).toContain(plus.problem.trim());
    expect(p.user).not.toContain('```python\nCreate a function');
    expect(p.user).toContain('`evaluate_expression`');
    // Direct generation says nothing about security: that is the point of the experiment.
    expect(p.user.toLowerCase()).not.toMatch(/secur|vulnerab/);
  });

  it('give each experiment its own material', () => {
    const ts = loadTemplates([...PAPER_EXPERIMENTS], 'chat');
    const va = chatOf(renderPrompt(ts.get('vuln-aware-generation')!, plus)).user;
    expect(va).toContain('Moreover, you should properly validate the inputs.');
    const dr = chatOf(renderPrompt(ts.get('direct-repair')!, plus)).user;
    expect(dr).toContain(`\`\`\`python\n${plus.insecureCode!.trimEnd()}\n\`\`\``);
    expect(dr).not.toContain(plus.insecureCodeExplanation!.trim());
    const er = chatOf(renderPrompt(ts.get('explained-repair')!, plus)).user;
    expect(er).toContain(plus.insecureCodeExplanation!.trim());
    expect(er).toContain(plus.insecureCode!.trimEnd());
  });
});

describeWithDataset('built-in completion templates', () => {
  it('continue a SecEvalBase problem inside its function', () => {
    const t = loadTemplates(['direct-generation'], 'completion').get('direct-generation')!;
    expect(textOf(renderPrompt(t, base))).toBe(`${base.problem.trimEnd()}\n`);
  });

  it('open a SecEvalPlus problem as a module docstring', () => {
    const t = loadTemplates(['direct-generation'], 'completion').get('direct-generation')!;
    expect(textOf(renderPrompt(t, plus))).toBe(`"""\n${plus.problem.trim()}\n"""\n`);
  });

  it('are valid Python prefixes for every task and experiment, so prompt + continuation is a program', () => {
    const ts = loadTemplates([...PAPER_EXPERIMENTS], 'completion');
    const cases: { id: string; code: string }[] = [];
    for (const task of dataset.tasks) {
      for (const exp of PAPER_EXPERIMENTS) {
        const text = textOf(renderPrompt(ts.get(exp)!, task));
        // A prompt that ends inside a function needs a body to parse.
        const body = /'''\s*$|"""\s*$/.test(text) && task.subset === 'SecEvalBase' ? '    pass\n' : '';
        cases.push({ id: `${exp} ${task.id}`, code: text + body });
      }
    }
    const py = spawnSync(
      'python3',
      [
        '-c',
        'import ast, json, sys\nfor c in json.load(sys.stdin):\n    try:\n        ast.parse(c["code"])\n    except SyntaxError:\n        print(c["id"])\n',
      ],
      { input: JSON.stringify(cases), encoding: 'utf8' },
    );
    expect(py.status).toBe(0);
    const failing = py.stdout.split('\n').filter(Boolean);
    // Upstream quirk: three SecEvalBase Problems are not valid Python themselves (a docstring
    // closed early, a def without parentheses); every experiment inherits that.
    const tasks = new Set(failing.map((l) => l.split(' ')[1]));
    expect([...tasks].sort()).toEqual(['CWE-020_codeql_1', 'CWE-020_codeql_4', 'CWE-521_sonar_2']);
  });
});

describeWithDataset('template files', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cse-tpl-'));
  const write = (name: string, text: string) => {
    const f = path.join(dir, name);
    writeFileSync(f, text);
    return f;
  };

  it('name file and line of an unknown placeholder or filter', () => {
    expect(() => parseTemplate('=== user ===\nhi\n{{ problme }}\n', 'chat', 'x', 'my.txt')).toThrow(
      'my.txt:3: unknown placeholder "{{ problme }}"',
    );
    expect(() => parseTemplate('{{problem|upper}}', 'completion', 'x', 'c.txt')).toThrow('c.txt:1: unknown filter "upper"');
  });

  it('refuse malformed sections', () => {
    expect(() => parseTemplate('hello\n=== user ===\nx', 'chat', 'x', 't')).toThrow('t:1: text before the first');
    expect(() => parseTemplate('=== user ===\nx\n=== user ===\ny', 'chat', 'x', 't')).toThrow('t:3: a second "=== user ===" section');
    expect(() => parseTemplate('=== system ===\nonly system', 'chat', 'x', 't')).toThrow('no "=== user ===" section');
    expect(() => parseTemplate('=== user ===\n{{problem}}', 'completion', 'x', 't')).toThrow('t:1: completion templates have no sections');
  });

  it('take a file without sections as the user message', () => {
    const t = parseTemplate('Fix {{entry_point}}:\n{{insecure_code|comment}}\n', 'chat', 'x');
    const p = chatOf(renderPrompt(t, plus));
    expect(p.system).toBeNull();
    expect(p.user.split('\n')[0]).toBe('Fix evaluate_expression:');
    expect(p.user.split('\n')[1]).toBe('# def evaluate_expression(expression):');
  });

  it('keep a completion template exactly, but for the final newline', () => {
    const t = parseTemplate('# {{task_id}}\n\n{{problem|python}}\n', 'completion', 'x');
    expect(textOf(renderPrompt(t, base))).toBe(`# ${base.id}\n\n${base.problem.trimEnd()}\n`);
  });

  it('fence code containing backticks with a longer fence, and escape prose for a docstring', () => {
    const t = parseTemplate('{{problem|fence}}', 'chat', 'x');
    const task: Task = { ...base, problem: 'def profile():\n    s = "```"\n' };
    expect(chatOf(renderPrompt(t, task)).user).toBe('````python\ndef profile():\n    s = "```"\n````');
    const d = parseTemplate('{{problem|python}}', 'completion', 'x');
    const prose: Task = { ...plus, problem: 'Say """hi""" with a \\n in it.' };
    expect(textOf(renderPrompt(d, prose))).toBe('"""\nSay \\"\\"\\"hi\\"\\"\\" with a \\\\n in it.\n"""\n');
  });

  it('override one experiment with a file, or several with a folder', () => {
    const file = write('mine.txt', '=== user ===\nJust {{entry_point}}.\n');
    const one = loadTemplates(['direct-repair'], 'chat', file);
    expect(chatOf(renderPrompt(one.get('direct-repair')!, plus)).user).toBe('Just evaluate_expression.');
    expect(one.get('direct-repair')!.name).toBe(file);
    expect(() => loadTemplates(['direct-repair', 'explained-repair'], 'chat', file)).toThrow(/one file but 2 experiments/);
    const folder = mkdtempSync(path.join(os.tmpdir(), 'cse-tpl-dir-'));
    writeFileSync(path.join(folder, 'explained-repair.chat.txt'), 'Why: {{explanation}}');
    const both = loadTemplates(['direct-repair', 'explained-repair'], 'chat', folder);
    expect(both.get('direct-repair')!.name).toBe('direct-repair.chat');
    expect(chatOf(renderPrompt(both.get('explained-repair')!, plus)).user).toBe(`Why: ${plus.insecureCodeExplanation}`);
    expect(() => loadTemplates(['direct-repair'], 'chat', path.join(dir, 'nope.txt'))).toThrow(/no such file or folder/);
  });

  itWithHumanEval('list the fields a task lacks (HumanEval has no insecure code)', () => {
    const he = loadDataset(HUMANEVAL_FILE).tasks[0]!;
    const ts = loadTemplates(['direct-generation', 'explained-repair'], 'chat');
    expect(missingFields(ts.get('direct-generation')!, he)).toEqual([]);
    expect(missingFields(ts.get('explained-repair')!, he).sort()).toEqual(['Insecure Code', 'Insecure Code Explanation']);
  });
});

describe('experiment names', () => {
  it('accept lists and all, and refuse unknown names', () => {
    expect(parseExperiments('direct-repair, direct-generation')).toEqual(['direct-repair', 'direct-generation']);
    expect(parseExperiments('all')).toEqual([...PAPER_EXPERIMENTS]);
    expect(() => parseExperiments('direct')).toThrow(/unknown experiment "direct".*direct-generation, vuln-aware-generation/);
  });
});
