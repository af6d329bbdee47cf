import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { ExecResult, ExecutorInfo } from '../src/core/exec.js';
import { CHECK_RETURNS_ONE, candidate } from './helpers/task.js';

// Without root the sandbox is bubblewrap in a user namespace and samples run under the
// runner's own uid. These attacks were seen to work there; each must now fail. The engine
// runs in a child process as `nobody`, exactly as an unprivileged user would run it.

const asRoot = process.getuid?.() === 0;
const describeUnprivileged = asRoot || process.env.CI === 'true' ? describe : describe.skip;

interface Output {
  uid: number;
  info: ExecutorInfo;
  warnings: string[];
  results: ExecResult[];
}

function runAsNobody(programs: string[], test = CHECK_RETURNS_ONE, timeoutSec = 10): Output {
  const r = spawnSync(
    'setpriv',
    ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, '--import', 'tsx', 'test/helpers/engine-child.ts'],
    { input: JSON.stringify({ programs, test, timeoutSec }), encoding: 'utf8', env: { PATH: process.env.PATH, TMPDIR: '/tmp', HOME: '/tmp' }, timeout: 300_000 },
  );
  if (r.status !== 0) throw new Error(`engine as nobody failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as Output;
}

const GOOD = candidate('');
const BAD = 'def solve():\n    return 0\n';

describeUnprivileged('without root, the runner is out of the sample\'s reach', () => {
  it('runs as nobody, says once that samples are bounded per process only, and records it', () => {
    const out = runAsNobody([GOOD, BAD]);
    expect(out.uid).toBe(65534);
    expect(out.info.cgroup).toBeUndefined();
    expect(out.warnings.filter((w) => /not bounded as a whole/.test(w))).toHaveLength(1);
    expect(out.results.map((r) => r.status)).toEqual(['passed', 'failed']);
  });

  it('cannot take the runner\'s descriptors (pidfd_getfd), read its memory or trace it, so later verdicts stay true', () => {
    const attack = candidate(
      [
        'import ctypes, os',
        'libc = ctypes.CDLL(None, use_errno=True)',
        'runner = os.getppid()',
        'pidfd = libc.syscall(434, runner, 0)  # pidfd_open',
        'assert pidfd >= 0, "pidfd_open failed: %d" % ctypes.get_errno()',
        'for fd in (0, 1, 2):',
        '    got = libc.syscall(438, pidfd, fd, 0)  # pidfd_getfd',
        '    assert got == -1, "took the runner\'s fd %d" % fd',
        'try:',
        '    open("/proc/%d/mem" % runner, "rb").read(1)',
        '    raise AssertionError("read the runner\'s memory")',
        'except OSError:',
        '    pass',
        'try:',
        '    os.listdir("/proc/%d/fd" % runner)',
        '    raise AssertionError("listed the runner\'s descriptors")',
        'except OSError:',
        '    pass',
        'assert libc.ptrace(16, runner, None, None) == -1, "attached to the runner"  # PTRACE_ATTACH',
      ].join('\n'),
    );
    const out = runAsNobody([attack, BAD, BAD, GOOD]);
    expect(out.results.map((r) => r.status), JSON.stringify(out.results[0])).toEqual(['passed', 'failed', 'failed', 'passed']);
  });

  it('a sample that stops its runner gets a timeout, and the samples after it their own verdicts', () => {
    const stop = candidate('import os, signal\nos.kill(os.getppid(), signal.SIGSTOP)');
    const out = runAsNobody([stop, BAD, GOOD], CHECK_RETURNS_ONE, 2);
    expect(out.results.map((r) => r.status)).toEqual(['timeout', 'failed', 'passed']);
  });

  it('symlinks planted in the workspace root do not reach the next samples', () => {
    const plant = candidate(
      'import os\nroot = os.path.dirname(os.getcwd())\nn = int(os.path.basename(os.getcwd())[1:])\n' +
        'for i in range(n + 1, n + 8):\n    os.symlink("/etc", os.path.join(root, "s%d" % i))\nos.symlink("/etc", "/tmp/app.log")',
    );
    const out = runAsNobody([plant, GOOD, GOOD, GOOD, BAD]);
    expect(out.results.map((r) => r.status)).toEqual(['passed', 'passed', 'passed', 'passed', 'failed']);
  });
});
