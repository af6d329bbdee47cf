import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createProvider } from '../src/models/registry.js';
import { startFakeAnthropic } from './helpers/fake-anthropic.js';
import { startFakeOpenAI } from './helpers/fake-openai.js';
import { UserError } from '../src/core/errors.js';
import type { ExecResult } from '../src/core/exec.js';
import type { Dataset } from '../src/core/task.js';
import {
  checkLines,
  findingsReport,
  loadFeedbackTemplate,
  parseFeedbackTemplate,
  programTraceback,
  renderFeedback,
  testReport,
} from '../src/experiments/feedback-text.js';
import { Resampler } from '../src/score/bootstrap.js';
import { taskGroups } from '../src/score/groups.js';
import { RoundsTally, scoreRounds } from '../src/score/rounds.js';
import { makeTask } from './helpers/task.js';

const TEST = [
  'def check(candidate):',
  '    r = candidate("a")',
  '    assert r == "a", "secret message from the test"',
  '    for x in ["../x", "/etc"]:',
  '        assert candidate(x) is None',
  '    assert candidate("") == ""',
].join('\n');

const STDERR = [
  '[2026-01-01 10:00:00,123] ERROR in app: Exception on /x [GET]',
  'Traceback (most recent call last):',
  '  File "/ws/s3/<test>", line 5, in check',
  '  File "/ws/s3/main.py", line 7, in handler',
  '    return helper(path)',
  '           ^^^^^^^^^^^^',
  '  File "/usr/lib/python3/dist-packages/flask/app.py", line 10, in dispatch',
  '    return view()',
  '  File "/ws/s3/main.py", line 3, in helper',
  '    raise ValueError(repr(object()))',
  'ValueError: <object object at 0x7f9c3b2ada30>',
].join('\n');

function exec(status: ExecResult['status'], detail: string, stderrTail = ''): ExecResult {
  return { status, detail, durationMs: 12, stdoutTail: 'printed', stderrTail };
}

describe('test feedback', () => {
  it('numbers the checks by their assert lines', () => {
    expect(checkLines(TEST)).toEqual([3, 5, 6]);
  });

  it('keeps only frames in the candidate’s own file, with stable text', () => {
    const t = programTraceback(STDERR);
    expect(t.testLine).toBe(5);
    expect(t.lines).toEqual([
      'Traceback (frames in your program only):',
      '  File "main.py", line 7, in handler',
      '    return helper(path)',
      '  File "main.py", line 3, in helper',
      '    raise ValueError(repr(object()))',
      'ValueError: <object object at 0x…>',
    ]);
  });

  it('says which check failed by number, never the assertion or its message', () => {
    const fb = testReport(exec('failed', 'AssertionError at test line 5: secret message from the test'), TEST);
    expect(fb).toBe('Result: failed. Check 2 of 3 of the hidden test failed (an assertion; the test\u2019s source is not shown).'.replace('\u2019', "'"));
    expect(fb).not.toContain('secret');
  });

  it('gives exceptions with the check they came before, and the program’s traceback', () => {
    const fb = testReport(exec('error', 'ValueError: <object object at 0x7f9c3b2ada30>', STDERR), TEST);
    expect(fb.split('\n')[0]).toBe('Result: error. ValueError: <object object at 0x…>. It happened while the test ran, before check 2 of 3 was reached.');
    expect(fb).toContain('  File "main.py", line 3, in helper');
    expect(fb).not.toMatch(/<test>|flask|printed|2026/);
  });

  it('words the other verdicts', () => {
    expect(testReport(exec('passed', ''), TEST)).toBe('Result: passed. All 3 check(s) of the hidden test passed.');
    expect(testReport(exec('timeout', 'no verdict within 10 s'), TEST)).toMatch(/^Result: timeout\. .*no verdict within 10 s/);
    expect(testReport(exec('sandbox-error', 'bwrap failed'), TEST)).toMatch(/says nothing about your program/);
  });
});

describe('analyzer feedback', () => {
  it('lists findings by line with rule, CWE, severity and message', () => {
    const text = findingsReport('bandit', [
      { rule: 'B602', severity: 'HIGH', confidence: 'HIGH', cwe: 'CWE-78', line: 9, message: 'subprocess call with shell=True' },
      { rule: 'B404', severity: 'LOW', confidence: 'HIGH', cwe: null, line: 1, message: 'Consider possible security implications' },
    ], null);
    expect(text).toBe(
      [
        'The static analyzer (bandit) reports 2 issue(s):',
        '- line 1: B404, severity low, confidence high: Consider possible security implications',
        '- line 9: B602 (CWE-78), severity high, confidence high: subprocess call with shell=True',
      ].join('\n'),
    );
    expect(findingsReport('bandit', [], null)).toBe('The static analyzer (bandit) reports no issues.');
    expect(findingsReport('bandit', null, 'syntax error at line 2')).toMatch(/could not read your program: syntax error at line 2/);
  });
});

describe('feedback templates', () => {
  it('renders placeholders and refuses unknown ones with file and line', () => {
    const t = parseFeedbackTemplate('Fix {{entry_point}}.\n\n{{findings}}\n', 'x');
    expect(renderFeedback(t, { findings: 'F', test_results: 'T', entry_point: 'solve', round: '1', rounds: '3' })).toBe('Fix solve.\n\nF');
    expect(() => parseFeedbackTemplate('ok\n{{problem}}', 'x', 'my.txt')).toThrow(/^my\.txt:2: unknown placeholder "\{\{problem\}\}"/);
  });

  it('takes a folder override and refuses one that leaves the feedback out', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cse-fbt-'));
    writeFileSync(path.join(dir, 'feedback-tests.chat.txt'), 'Tests said:\n{{test_results}}\n');
    expect(loadFeedbackTemplate('tests', dir, ['test_results']).name).toBe(path.join(dir, 'feedback-tests.chat.txt'));
    writeFileSync(path.join(dir, 'feedback-analyzer.chat.txt'), 'Please fix it.\n');
    expect(() => loadFeedbackTemplate('analyzer', dir, ['findings'])).toThrow(UserError);
    expect(() => loadFeedbackTemplate('analyzer', dir, ['findings'])).toThrow(/must use \{\{findings\}\}/);
    // Kinds without a file in the folder keep the built-in template.
    expect(loadFeedbackTemplate('none', dir, []).name).toBe('feedback-none.chat');
  });
});

describe('per-round scores', () => {
  const tasks = ['A', 'B'].map((id, i) => makeTask({ id, test: 'def check(c):\n    assert c()\n', cwes: [`CWE-${i + 1}`], cweGroup: `CWE-${i + 1}` }));
  const dataset: Dataset = { kind: 'codeseceval', source: 'mem', tasks, byId: new Map(tasks.map((t) => [t.id, t])) };
  const groups = taskGroups(dataset);
  const opts = { ks: [1], resampler: new Resampler({ resamples: 200, confidence: 0.95, seed: 1 }), permutations: 200, broken: new Set<string>(), excludeBroken: false };
  const usage = (i: number) => ({ input_tokens: i, output_tokens: 1 });

  it('carries a stopped sample’s final verdict forward and takes evaluate’s verdict for the last round', () => {
    const tally = new RoundsTally();
    // A: fails, then passes in round 1 and stops. B: fails every round of 2.
    tally.add('m', 'feedback-repair-tests', {
      taskId: 'A',
      passed: true,
      rounds: [{ passed: false, usage: usage(10) }, { passed: true, usage: usage(20), done: true }],
      maxRounds: 2,
    });
    // B's last round was recorded as passing, but evaluate failed the same program (a flaky test).
    tally.add('m', 'feedback-repair-tests', {
      taskId: 'B',
      passed: false,
      rounds: [{ passed: false, usage: usage(10) }, { passed: false, usage: usage(20) }, { passed: true, usage: usage(30) }],
      maxRounds: 2,
    });
    const [run] = scoreRounds(tally.finish(), dataset, groups, opts);
    expect(run!.oracle).toBe(true);
    expect(run!.maxRound).toBe(2);
    expect(run!.rounds.map((r) => r.subsets[0]!.passAtK[0])).toEqual([0, 0.5, 0.5]);
    expect(run!.rounds.map((r) => [r.asked, r.done, r.inputTokens])).toEqual([
      [2, 0, 20],
      [2, 1, 40],
      [1, 0, 30],
    ]);
    expect(run!.disagreements).toBe(1);
    expect(run!.rounds[2]!.cwes.map((g) => g.passAtK[0])).toEqual([1, 0]);
    expect(run!.compare.subsets[0]!.perK[0]).toMatchObject({ meanA: 0, meanB: 0.5, bBetter: 1, aBetter: 0, ties: 1 });
  });

  it('a sample whose request failed in a round counts as failing from that round on', () => {
    const tally = new RoundsTally();
    tally.add('m', 'feedback-repair-none', {
      taskId: 'A',
      passed: false,
      rounds: [{ passed: true, usage: usage(1) }, { passed: null, usage: null }],
      maxRounds: 3,
    });
    const [run] = scoreRounds(tally.finish(), dataset, groups, opts);
    expect(run!.oracle).toBe(false);
    expect(run!.rounds.map((r) => r.subsets[0]!.passAtK[0])).toEqual([1, 0, 0, 0]);
  });
});

describe('chat providers send the conversation', () => {
  const task = makeTask({ test: 'def check(c):\n    assert c()\n' });
  const dataset: Dataset = { kind: 'codeseceval', source: 'mem', tasks: [task], byId: new Map([[task.id, task]]) };
  const prompt = {
    style: 'chat' as const,
    system: 'sys',
    history: [
      { role: 'user' as const, content: 'write it' },
      { role: 'assistant' as const, content: 'def solve(): pass' },
    ],
    user: 'the tests failed',
  };
  const turns = [
    { role: 'user', content: 'write it' },
    { role: 'assistant', content: 'def solve(): pass' },
    { role: 'user', content: 'the tests failed' },
  ];

  it('OpenAI: system, then the earlier turns, then the new user turn', async () => {
    const server = await startFakeOpenAI(() => ({ text: 'ok' }));
    try {
      const p = await createProvider('openai:m', { baseURL: server.baseURL, timeoutMs: 10_000, env: { OPENAI_API_KEY: 'k' } }, dataset);
      await p.complete({ prompt, task, sampleIndex: 0, params: { maxTokens: 10 } });
      expect(server.requests[0]!.body!.messages).toEqual([{ role: 'system', content: 'sys' }, ...turns]);
    } finally {
      await server.close();
    }
  });

  it('Anthropic: the earlier turns before the new user turn, system apart', async () => {
    const server = await startFakeAnthropic(() => ({ text: 'ok' }));
    try {
      const p = await createProvider('anthropic:m', { baseURL: server.baseURL, timeoutMs: 10_000, env: { ANTHROPIC_API_KEY: 'k' } }, dataset);
      await p.complete({ prompt, task, sampleIndex: 0, params: { maxTokens: 10 } });
      expect(server.requests[0]!.body!.messages).toEqual(turns);
      expect(server.requests[0]!.body!.system).toBe('sys');
    } finally {
      await server.close();
    }
  });
});
