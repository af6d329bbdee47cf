import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InterruptedError } from '../../../src/core/errors.js';
import { ExecResult, type CheckJob, type ExecJob, type Executor, type FixtureSet, type TestFileJob } from '../../../src/core/exec.js';

/** What a contract run builds an executor with: the options every backend takes. */
export interface ExecutorContractOptions {
  jobs: number;
  timeoutSec: number;
  onWarning: (message: string) => void;
}

const LIMIT_SEC = 4;
const LANES = 2;

const CHECK_ONE = 'def check(candidate):\n    assert candidate() == 1\n';
const GOOD = 'def solve():\n    return 1\n';

function job(program: string, extra: Partial<CheckJob> = {}): CheckJob {
  return { program, test: CHECK_ONE, entryPoint: 'solve', fixtureName: 'CWE-000_contract_1', fixtures: null, ...extra };
}

const bytes = (s: string) => new TextEncoder().encode(s);
const ALL_BYTES = Uint8Array.from({ length: 256 }, (_, i) => i);

/** Fixture files a test checks byte for byte, then vandalises. */
const FIXTURES: FixtureSet = {
  id: 'contract-fixtures-1',
  files: [
    { path: 'data.txt', data: bytes('original\n') },
    { path: 'sub/deeper/all.bin', data: ALL_BYTES },
  ],
};

const VANDAL_TEST = [
  'import os, shutil',
  'def check(candidate):',
  '    base = os.path.join("Test", "CWE-22_contract_1")',
  '    assert sorted(os.listdir(base)) == ["data.txt", "sub"], os.listdir(base)',
  '    assert open(os.path.join(base, "data.txt")).read() == "original\\n"',
  '    assert open(os.path.join(base, "sub", "deeper", "all.bin"), "rb").read() == bytes(range(256))',
  '    with open(os.path.join(base, "data.txt"), "a") as f:',
  '        f.write("changed")',
  '    open(os.path.join(base, "new.txt"), "w").write("new")',
  '    shutil.rmtree(os.path.join(base, "sub"))',
  '    assert candidate() == 1',
  '',
].join('\n');

/** Processes on this machine whose command line holds `marker` (a sample's `sleep` child). */
function processesWith(marker: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'latin1').split('\0').includes(marker)) found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return cond();
}

/**
 * What every execution backend must do with the same jobs: one suite, run once per entry of
 * EXECUTORS. `make` builds the backend with the options every backend takes.
 */
export function executorContract(name: string, make: (opts: ExecutorContractOptions) => Executor): void {
  describe(`executor contract: ${name}`, () => {
    let ex: Executor;
    const warnings: string[] = [];
    beforeAll(() => {
      ex = make({ jobs: LANES, timeoutSec: LIMIT_SEC, onWarning: (w) => warnings.push(w) });
    });
    afterAll(() => ex?.close());

    async function one(j: ExecJob): Promise<ExecResult> {
      const [r] = await ex.run([j]);
      const parsed = ExecResult.safeParse(r);
      expect(parsed.success, JSON.stringify(r)).toBe(true);
      return r!;
    }

    it('describes its backend, interpreter and limits; any warning is one line', () => {
      const info = ex.info;
      expect(info.backend).toBe(name);
      expect(path.isAbsolute(info.interpreter.path)).toBe(true);
      expect(info.interpreter.version).toMatch(/^3\.\d+/);
      expect(info.timeoutSec).toBe(LIMIT_SEC);
      expect(info.jobs).toBe(LANES);
      for (const v of [info.memoryMb, info.fileSizeMb, info.maxProcs]) expect(Number.isInteger(v) && v > 0).toBe(true);
      for (const w of warnings) expect(w).toMatch(/^[^\n]+$/);
    });

    it('passes a program whose check returns, and says nothing is wrong', async () => {
      const r = await one(job(GOOD));
      expect(r.status).toBe('passed');
      expect(r.detail).toBe('');
    });

    it('fails a program on an assert, naming the test line', async () => {
      const test = 'def check(candidate):\n    x = candidate()\n    assert x == 2, "wanted two"\n';
      const r = await one(job(GOOD, { test }));
      expect(r.status).toBe('failed');
      expect(r.detail).toMatch(/line 3\b/);
      expect(r.detail).toContain('wanted two');
    });

    it('calls an exception an error, with its type', async () => {
      const r = await one(job('def solve():\n    return {}["missing"]\n'));
      expect(r.status).toBe('error');
      expect(r.detail).toMatch(/^KeyError/);
    });

    it('times out an endless loop at the limit', async () => {
      const r = await one(job('def solve():\n    while True:\n        pass\n', { timeoutSec: 2 }));
      expect(r.status).toBe('timeout');
      expect(r.durationMs).toBeGreaterThanOrEqual(1500);
      // The limit is enforced, not just reported: well before the executor's own default.
      expect(r.durationMs).toBeLessThan(2000 + 3000);
    });

    it.each([
      ['sys.exit(0) at import', 'import sys\nsys.exit(0)\n' + GOOD],
      ['os._exit(0) at import', 'import os\nos._exit(0)\n' + GOOD],
      ['sys.exit(0) in the entry point', 'import sys\ndef solve():\n    sys.exit(0)\n'],
      ['os._exit(0) in the entry point', 'import os\ndef solve():\n    os._exit(0)\n'],
    ])('never passes a program that leaves early: %s', async (_, program) => {
      const r = await one(job(program));
      expect(r.status).not.toBe('passed');
      expect(['error', 'failed', 'killed']).toContain(r.status);
    });

    it('keeps a main block shut, as an import would', async () => {
      const r = await one(job(`${GOOD}\nif __name__ == "__main__":\n    while True:\n        pass\n`));
      expect(r.status).toBe('passed');
    });

    it('gives soft-assert outcomes only to soft jobs', async () => {
      const test = 'def check(candidate):\n    assert candidate() == 1\n    assert candidate() == 2\n    assert candidate() > 0\n';
      const [soft, hard] = await ex.run([job(GOOD, { test, soft: true }), job(GOOD, { test })]);
      expect(soft!.status).toBe('failed');
      expect(soft!.soft).toMatchObject({ assertLines: [2, 3, 4], executedAsserts: [2, 3, 4], failures: [{ line: 3, kind: 'assert' }] });
      expect(hard!.status).toBe('failed');
      expect(hard!.soft).toBeUndefined();
    });

    it('shows fixtures at Test/<fixtureName>/, writable, and pristine for every job', async () => {
      const fixtureJob = job(GOOD, { test: VANDAL_TEST, fixtureName: 'CWE-22_contract_1', fixtures: FIXTURES });
      const empty = job(GOOD, {
        test: 'import os\ndef check(candidate):\n    assert os.listdir("Test/CWE-000_contract_1") == []\n    assert candidate() == 1\n',
      });
      const batch = [fixtureJob, fixtureJob, empty, fixtureJob, fixtureJob, fixtureJob];
      const first = await ex.run(batch);
      expect(first.map((r) => `${r.status} ${r.detail}`)).toEqual(batch.map(() => 'passed '));
      // And again in a later batch, after every lane has vandalised its copy.
      const second = await ex.run([fixtureJob, fixtureJob]);
      expect(second.map((r) => r.status)).toEqual(['passed', 'passed']);
    });

    it('runs a unittest file against the program as a module, each case with its role and outcome', async () => {
      const test = [
        'import os, unittest',
        'from mod_a import double',
        'class T(unittest.TestCase):',
        '    def test_correctness(self):',
        '        self.assertEqual(double(2), 4)',
        '        self.assertEqual(open("data.txt").read(), "original\\n")',
        '    def test_vulnerability(self):',
        '        self.assertEqual(double(-1), 0)',
        '',
      ].join('\n');
      const tf = (program: string): TestFileJob => ({
        harness: 'test-file', framework: 'unittest', module: 'mod_a', testFile: 'test_mod_a.py', test, program,
        fixtureName: 'CWE-22_contract_1', fixtures: FIXTURES,
      });
      const [good, weak, broken, missing] = await ex.run([
        tf('def double(x):\n    return max(0, 2 * x)\n'),
        tf('def double(x):\n    return 2 * x\n'),
        tf('def double(x) return 1\n'),
        tf('import no_such_module_here\ndef double(x):\n    return 2 * x\n'),
      ]);
      expect(`${good!.status} ${good!.detail}`).toBe('passed ');
      expect(good!.cases).toEqual([
        { name: 'test_mod_a.T.test_correctness', role: 'functionality', outcome: 'passed' },
        { name: 'test_mod_a.T.test_vulnerability', role: 'security', outcome: 'passed' },
      ]);
      expect(weak!.status).toBe('failed');
      expect(weak!.cases!.map((c) => `${c.role} ${c.outcome}`)).toEqual(['functionality passed', 'security failed']);
      expect(weak!.cases![1]!.detail).toMatch(/AssertionError: -2 != 0/);
      expect(broken!.status).toBe('error');
      expect(broken!.detail).toMatch(/^SyntaxError in program at line 1/);
      expect(broken!.cases).toBeUndefined();
      expect(missing!.status).toBe('error');
      expect(missing!.missingModule).toBe('no_such_module_here');
    });

    it('runs a pytest file in the same way, roles from its markers', async () => {
      const test = [
        'import pytest',
        'from mod_b_task import add',
        '@pytest.mark.parametrize("a, b", [',
        '    pytest.param(1, 2, marks=pytest.mark.functionality),',
        '    pytest.param(-1, -2, marks=pytest.mark.security),',
        '])',
        'def test_add(a, b, tmp_path):',
        '    assert add(a, b) == a + b',
        'def test_plain():',
        '    assert add(0, 0) == 0',
        '',
      ].join('\n');
      const tf = (program: string): TestFileJob => ({
        harness: 'test-file', framework: 'pytest', module: 'mod_b_task', testFile: 'mod_b_test.py', test, program,
        fixtureName: 'CWE-000_contract_2', fixtures: null,
      });
      const [good, weak] = await ex.run([tf('def add(a, b):\n    return a + b\n'), tf('def add(a, b):\n    return abs(a + b)\n')]);
      expect(`${good!.status} ${good!.detail}`).toBe('passed ');
      expect(good!.cases!.map((c) => `${c.name} ${c.role} ${c.outcome}`)).toEqual([
        'test_add[1-2] functionality passed',
        'test_add[-1--2] security passed',
        'test_plain null passed',
      ]);
      expect(weak!.status).toBe('failed');
      expect(weak!.cases!.map((c) => c.outcome)).toEqual(['passed', 'failed', 'passed']);
    });

    it('returns results in job order, whatever finishes first, and tells each as it ends', async () => {
      const n = 5;
      const jobs = Array.from({ length: n }, (_, i) =>
        job(`import time\nprint("job ${i}")\ntime.sleep(${((n - i) * 0.15).toFixed(2)})\ndef solve():\n    return ${i}\n`, {
          test: `def check(candidate):\n    assert candidate() == ${i}\n`,
        }),
      );
      const told: number[] = [];
      const rs = await ex.run(jobs, (i, r) => {
        told.push(i);
        expect(r.stdoutTail).toContain(`job ${i}`);
      });
      expect(rs.map((r) => r.status)).toEqual(Array(n).fill('passed'));
      rs.forEach((r, i) => expect(r.stdoutTail).toContain(`job ${i}`));
      expect([...told].sort()).toEqual([0, 1, 2, 3, 4]);
      expect(await ex.run([])).toEqual([]);
    });

    it('takes overlapping calls (many samples running programs at once) without mixing their results', async () => {
      // More calls than workers: each must wait for a free worker, never share a busy one.
      const calls = Array.from({ length: LANES * 3 }, (_, i) =>
        ex.run([
          job(`import time\ntime.sleep(0.05)\ndef solve():\n    return ${i}\n`, { test: `def check(candidate):\n    assert candidate() == ${i}\n` }),
          job(`def solve():\n    return ${i + 100}\n`, { test: `def check(candidate):\n    assert candidate() == ${i}\n` }),
        ]),
      );
      const results = await Promise.all(calls);
      for (const rs of results) expect(rs.map((r) => r.status)).toEqual(['passed', 'failed']);
    });

    it('on abort rejects with InterruptedError, gives cut jobs no verdict, leaves none of their processes, and runs again', async () => {
      const marker = `${600 + Math.floor(Math.random() * 300)}.${process.pid}`;
      const slow = job(`import subprocess, time\nsubprocess.Popen(["sleep", "${marker}"])\ntime.sleep(120)\n${GOOD}`, { timeoutSec: 60 });
      const told: number[] = [];
      const ac = new AbortController();
      const running = ex.run([job(GOOD), job(GOOD), slow, slow], (i) => told.push(i), ac.signal);
      // Abort once both slow samples have started their own child process.
      const started = await until(() => processesWith(marker).length === 2, 20_000);
      ac.abort();
      await expect(running).rejects.toBeInstanceOf(InterruptedError);
      expect(started).toBe(true);
      expect(told.sort()).toEqual([0, 1]);
      expect(await until(() => processesWith(marker).length === 0, 5000), `left running: ${processesWith(marker).join(' ')}`).toBe(true);
      // An already aborted signal runs nothing.
      const none: number[] = [];
      await expect(ex.run([job(GOOD)], (i) => none.push(i), ac.signal)).rejects.toBeInstanceOf(InterruptedError);
      expect(none).toEqual([]);
      expect((await ex.run([job(GOOD)])).map((r) => r.status)).toEqual(['passed']);
    });

    it('removes its temporary files on close, and refuses work after', async () => {
      const tmp = mkdtempSync(path.join(os.tmpdir(), 'codeseceval-exec-contract-'));
      const saved = process.env.TMPDIR;
      process.env.TMPDIR = tmp;
      let own: Executor;
      try {
        own = make({ jobs: 1, timeoutSec: LIMIT_SEC, onWarning: () => {} });
      } finally {
        if (saved === undefined) delete process.env.TMPDIR;
        else process.env.TMPDIR = saved;
      }
      try {
        const [r] = await own.run([job(GOOD, { test: VANDAL_TEST, fixtureName: 'CWE-22_contract_1', fixtures: FIXTURES })]);
        expect(r!.status).toBe('passed');
      } finally {
        own.close();
      }
      expect(readdirSync(tmp)).toEqual([]);
      await expect(own.run([job(GOOD)])).rejects.toThrow();
      own.close();
      rmSync(tmp, { recursive: true, force: true });
      expect(existsSync(tmp)).toBe(false);
    });

    it('on close stops the samples in flight and what they started', async () => {
      const own = make({ jobs: 2, timeoutSec: 60, onWarning: () => {} });
      const marker = `${600 + Math.floor(Math.random() * 300)}.${process.pid}1`;
      const slow = job(`import subprocess, time\nsubprocess.Popen(["sleep", "${marker}"])\ntime.sleep(120)\n${GOOD}`);
      const running = own.run([slow, slow]).catch(() => []);
      try {
        expect(await until(() => processesWith(marker).length === 2, 20_000)).toBe(true);
      } finally {
        own.close();
      }
      await running;
      expect(await until(() => processesWith(marker).length === 0, 5000), `left running: ${processesWith(marker).join(' ')}`).toBe(true);
    });
  });
}
