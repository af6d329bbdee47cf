import { describe, expect, it } from 'vitest';
import { loadDataset } from '../src/benchmarks/index.js';
import { hasNumberedSteps } from '../src/text/steps.js';
import { CODESECEVAL_DIR, itWithDataset } from './helpers/datasets.js';

describe('hasNumberedSteps', () => {
  it.each([
    ['dot list', 'Do this:\n1. Validate the input.\n2. Return the result.'],
    ['paren list, indented', 'The function should:\n    1) check the type\n    2) check the range'],
    ['wrapped numbers', '(1) open the file\n(2) read it'],
    ['Step N:', 'Step 1: parse\nStep 2: validate\nStep 3: answer'],
    ['step N, lower case, in a docstring', "    '''\n    step 1 - parse\n    step 2 - validate\n    '''"],
    ['markdown bullets or headings', '- 1. first\n- 2. second'],
    ['colon markers', '1: read\n2: write'],
    ['a list that skips a number later', '1. a\n2. b\n4. d'],
    ['Windows line ends', '1. a\r\n2. b\r\n'],
    ['no space after the dot', '1.Validate\n2.Return'],
  ])('counts %s', (_name, text) => {
    expect(hasNumberedSteps(text)).toBe(true);
  });

  it.each([
    ['no numbers', 'Return the sum of two numbers.'],
    ['bullets without numbers', '- check the type\n- check the range'],
    ['a lone "1." in an example output', 'Examples:\nInput: x\nOutput:\n1. 30'],
    ['numbers that do not start a line', 'Accept values 1. and 2. only.'],
    ['a list that does not start at 1', '2. second\n3. third'],
    ['2 before 1', '2. b\n1. a'],
    ['mixed styles', '1. first\n2) second'],
    ['years and versions', '2023. A year.\n3.11 is a version'],
    ['Example 1: and Example 2:', 'Example 1:\nfoo\nExample 2:\nbar'],
    ['times', '1:30 pm\n2:45 pm'],
  ])('does not count %s', (_name, text) => {
    expect(hasNumberedSteps(text)).toBe(false);
  });

  itWithDataset('finds 86 of the 180 vulnerability-aware problems on the pinned data (39 Base, 47 Plus)', () => {
    const ds = loadDataset(CODESECEVAL_DIR);
    const count = (subset?: string) =>
      ds.tasks.filter((t) => (!subset || t.subset === subset) && hasNumberedSteps(t.vulnAwareProblem!)).length;
    expect(count('SecEvalBase')).toBe(39);
    expect(count('SecEvalPlus')).toBe(47);
    expect(count()).toBe(86);
    // No plain problem in SecEvalBase is laid out in steps: the steps come with the CWE-aware text.
    expect(ds.tasks.filter((t) => t.subset === 'SecEvalBase' && hasNumberedSteps(t.problem))).toHaveLength(0);
  });
});
