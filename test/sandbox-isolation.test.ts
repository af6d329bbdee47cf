import { afterAll, describe, expect, it } from 'vitest';
import { Engine, type EngineOptions } from '../src/sandbox/engine.js';
import { taskJob } from '../src/benchmarks/index.js';
import { CHECK_RETURNS_ONE, candidate, makeTask } from './helpers/task.js';

// One sample must never change another's verdict: whatever a sample leaves in /tmp, in its
// workspace, in /dev/shm or in System V shared memory is gone before the next one starts.

const task = makeTask({ test: CHECK_RETURNS_ONE });
const engines: Engine[] = [];
afterAll(() => {
  for (const e of engines) e.close();
});

function engine(opts: EngineOptions): Engine {
  const e = new Engine({ timeoutSec: 10, memoryMb: 512, ...opts });
  engines.push(e);
  return e;
}

/** Poisoners and victims interleaved, so every victim runs after some poisoner on its worker. */
async function verdicts(e: Engine, poison: string, victim: string, pairs = 4) {
  const programs = Array.from({ length: pairs }, () => [candidate(poison), candidate(victim)]).flat();
  const results = await e.run(programs.map((p) => taskJob(task, p)));
  return { poisoners: results.filter((_, i) => i % 2 === 0), victims: results.filter((_, i) => i % 2 === 1) };
}

const CASES: [string, string, string][] = [
  [
    '/tmp/app.log turned into a folder',
    'import os\nos.makedirs("/tmp/app.log/x", exist_ok=True)',
    'with open("/tmp/app.log", "a") as f:\n    f.write("ok")',
  ],
  [
    'a big file left in /tmp',
    'with open("/tmp/big", "wb") as f:\n    f.write(b"x" * (32 << 20))',
    'import os\nassert os.listdir("/tmp") == [], os.listdir("/tmp")',
  ],
  [
    'a file left in /dev/shm',
    'open("/dev/shm/sem.lock", "w").write("taken")',
    'import os\nassert os.listdir("/dev/shm") == [], os.listdir("/dev/shm")',
  ],
  [
    'a System V shared-memory segment',
    'import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nassert libc.shmget(4242, 1 << 20, 0o1666) >= 0',
    'import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nassert libc.shmget(4242, 0, 0o666) == -1, "segment still there"\n' +
      'assert open("/proc/sysvipc/shm").read().count("\\n") == 1',
  ],
  [
    'files left beside the workspace',
    'import os\nparent = os.path.dirname(os.getcwd())\ntry:\n    open(os.path.join(parent, "left"), "w").write("x")\nexcept OSError:\n    pass\n' +
      'open("left-here", "w").write("x")',
    'import os\nparent = os.path.dirname(os.getcwd())\nassert os.listdir(parent) == [os.path.basename(os.getcwd())], os.listdir(parent)\n' +
      'assert not os.path.exists("left-here")',
  ],
];

describe.each([1, 2])('with --jobs %i, what a sample leaves changes no later verdict', (jobs) => {
  const e = () => engine({ jobs });
  it.each(CASES)('%s', async (_name, poison, victim) => {
    const { poisoners, victims } = await verdicts(e(), poison, victim);
    for (const p of poisoners) expect(p.status, p.detail + p.stderrTail).toBe('passed');
    for (const v of victims) expect(v.status, v.detail + v.stderrTail).toBe('passed');
  });
});

describe('the scratch space is bounded (--disk)', () => {
  it('a sample cannot write more than --disk into /tmp or its workspace, and the next sample has all of it', async () => {
    const e = engine({ jobs: 1, diskMb: 32 });
    const fill = (where: string) =>
      `import errno\nwritten = 0\ntry:\n    with open("${where}", "wb") as f:\n        for _ in range(64):\n            f.write(b"x" * (1 << 20))\n            f.flush()\n            written += 1\n` +
      `except OSError as e:\n    assert e.errno == errno.ENOSPC, e\nassert written < 33, written`;
    const [tmp, after1, ws, after2] = await e.run([
      taskJob(task, candidate(fill('/tmp/fill'))),
      taskJob(task, candidate(fill('/tmp/fill'))),
      taskJob(task, candidate(fill('fill'))),
      taskJob(task, candidate(fill('fill'))),
    ]);
    for (const r of [tmp, after1, ws, after2]) expect(r!.status, r!.detail + r!.stderrTail).toBe('passed');
  });

  it('refuses a --disk too small to hold fixtures', () => {
    expect(() => new Engine({ diskMb: 1 })).toThrow(/--disk 1 is too small/);
  });
});

describe('no nested user namespaces', () => {
  it('a sample cannot create a user namespace, while threads and subprocesses still work', async () => {
    const e = engine({ jobs: 1 });
    const probe = candidate(
      'import ctypes, errno, subprocess, threading\nlibc = ctypes.CDLL(None, use_errno=True)\n' +
        'assert libc.unshare(0x10000000) == -1 and ctypes.get_errno() == errno.EPERM, "unshare(CLONE_NEWUSER) worked"\n' +
        'assert libc.unshare(0x10000000 | 0x00020000) == -1, "unshare(CLONE_NEWUSER|CLONE_NEWNS) worked"\n' +
        'p = subprocess.run(["unshare", "--user", "--map-root-user", "true"], capture_output=True)\nassert p.returncode != 0, "unshare --user worked"\n' +
        't = threading.Thread(target=lambda: None)\nt.start()\nt.join()\n' +
        'assert subprocess.run(["python3", "-c", "print(1)"], capture_output=True).stdout == b"1\\n"',
    );
    const [r] = await e.run([taskJob(task, probe)]);
    expect(r!.status, r!.detail + r!.stderrTail).toBe('passed');
  });
});
