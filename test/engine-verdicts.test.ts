import { afterAll, describe, expect, it } from 'vitest';
import { Engine } from '../src/sandbox/engine.js';
import { CHECK_RETURNS_ONE, candidate, makeTask } from './helpers/task.js';
import { taskJob } from '../src/benchmarks/index.js';

const engine = new Engine({ jobs: 2, timeoutSec: 5 });
afterAll(() => engine.close());

const task = makeTask({ test: CHECK_RETURNS_ONE });

async function runOne(program: string, t = task) {
  const [r] = await engine.run([taskJob(t, program)]);
  return r!;
}

describe('verdicts', () => {
  it('passes only when check returns', async () => {
    const r = await runOne('def solve():\n    return 1\n');
    expect(r.status).toBe('passed');
  });

  it('reports a failed assertion with its line in the test', async () => {
    const t = makeTask({ test: 'def check(candidate):\n    x = 1\n    assert candidate() == 2, "wanted two"\n' });
    const r = await runOne('def solve():\n    return 1\n', t);
    expect(r.status).toBe('failed');
    expect(r.detail).toContain('line 3');
    expect(r.detail).toContain('wanted two');
  });

  it('reports an exception with its type', async () => {
    const r = await runOne('def solve():\n    return {}["missing"]\n');
    expect(r.status).toBe('error');
    expect(r.detail).toMatch(/^KeyError/);
  });

  it('reports a syntax error in the candidate', async () => {
    const r = await runOne('def solve(:\n    return 1\n');
    expect(r.status).toBe('error');
    expect(r.detail).toMatch(/SyntaxError in program/);
  });

  it('reports a missing entry point', async () => {
    const r = await runOne('def other():\n    return 1\n');
    expect(r.status).toBe('error');
    expect(r.detail).toContain("'solve'");
  });

  it('keeps a tail of stdout and stderr', async () => {
    const r = await runOne(candidate('import sys\nprint("hello out")\nprint("hello err", file=sys.stderr)'));
    expect(r.status).toBe('passed');
    expect(r.stdoutTail).toContain('hello out');
    expect(r.stderrTail).toContain('hello err');
  });

  it('returns results in job order whatever finishes first', async () => {
    const slow = candidate('import time\ntime.sleep(1)');
    const fast = 'def solve():\n    return 2\n';
    const rs = await engine.run([
      taskJob(task, slow),
      taskJob(task, fast),
      taskJob(task, slow),
    ]);
    expect(rs.map((r) => r.status)).toEqual(['passed', 'failed', 'passed']);
  });

  it('runs classes defined by the program through pickle, as a script would', async () => {
    const prog = candidate('import pickle\nclass Point:\n    pass\nassert isinstance(pickle.loads(pickle.dumps(Point())), Point)');
    expect((await runOne(prog)).status).toBe('passed');
  });

  it('offers python on PATH and the shims for Crypto and mysql.connector', async () => {
    const prog = candidate(
      'import subprocess\nassert subprocess.run(["python", "-c", "print(1)"], capture_output=True).stdout == b"1\\n"\n' +
        'from Crypto.Cipher import AES\nimport mysql.connector\ntry:\n    mysql.connector.connect(host="x")\n    raise SystemExit("connected?")\nexcept mysql.connector.Error:\n    pass',
    );
    const r = await runOne(prog);
    expect(r.detail).toBe('');
    expect(r.status).toBe('passed');
  });
});
