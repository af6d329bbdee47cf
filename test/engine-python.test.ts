import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Engine } from '../src/sandbox/engine.js';
import { resolveInterpreter } from '../src/sandbox/interpreter.js';
import { makeTask } from './helpers/task.js';
import { taskJob } from '../src/benchmarks/index.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'codeseceval-venv-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('choosing the interpreter', () => {
  it('runs samples with a virtualenv interpreter, inside the sandbox', async () => {
    const venv = path.join(dir, 'venv');
    execFileSync('/usr/bin/python3', ['-m', 'venv', '--without-pip', '--system-site-packages', venv]);
    const python = path.join(venv, 'bin', 'python');
    const engine = new Engine({ jobs: 1, python });
    try {
      // The sample must really run under the virtualenv (its sys.prefix), which lives in the
      // host's /tmp — a folder the sandbox otherwise hides.
      const task = makeTask({ test: `def check(candidate):\n    assert candidate() == ${JSON.stringify(venv)}, candidate()\n` });
      const [r] = await engine.run([taskJob(task, 'import sys, flask\ndef solve():\n    return sys.prefix\n')]);
      expect(r!.detail).toBe('');
      expect(r!.status).toBe('passed');
      expect(engine.interpreter.prefixes).toContain(venv);
    } finally {
      engine.close();
    }
  });

  it('takes CODESECEVAL_PYTHON when no flag is given', () => {
    process.env.CODESECEVAL_PYTHON = '/usr/bin/python3';
    try {
      expect(resolveInterpreter().path).toBe('/usr/bin/python3');
      expect(resolveInterpreter('/usr/bin/python3.11').path).toBe('/usr/bin/python3.11');
    } finally {
      delete process.env.CODESECEVAL_PYTHON;
    }
  });

  it('names an interpreter that cannot run', () => {
    expect(() => resolveInterpreter(path.join(dir, 'no-such-python'))).toThrow(/cannot run Python interpreter ".*no-such-python"/);
  });
});
