import type { Task } from '../../src/core/task.js';

/** A task the test writes itself: the test body is plain Python defining check(candidate). */
export function makeTask(partial: Partial<Task> & Pick<Task, 'test'>): Task {
  return {
    id: 'CWE-000_test_1',
    subset: 'SecEvalPlus',
    cwes: ['CWE-0'],
    cweGroup: 'CWE-0',
    problem: 'def solve():\n',
    secureCode: 'def solve():\n    return 1\n',
    insecureCode: 'def solve():\n    return 0\n',
    entryPoint: 'solve',
    vulnAwareProblem: null,
    insecureCodeExplanation: null,
    fixtureDir: null,
    fixtureName: 'CWE-000_test_1',
    ...partial,
  };
}

/** Python for a candidate whose entry point `solve` returns 1 after running `body` at import. */
export function candidate(body: string): string {
  return `${body}\n\ndef solve():\n    return 1\n`;
}

export const CHECK_RETURNS_ONE = 'def check(candidate):\n    assert candidate() == 1\n';
