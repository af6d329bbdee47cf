import { mkdtempSync, mkdirSync, rmSync, writeFileSync, readdirSync, existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../src/sandbox/engine.js';
import { CHECK_RETURNS_ONE, candidate, makeTask } from './helpers/task.js';
import { CODESECEVAL_DIR, itWithDataset } from './helpers/datasets.js';
import { taskJob } from '../src/benchmarks/index.js';

// Hostile candidates of our own. Each either must not pass, or is written so that it passes
// exactly when the sandbox held (the candidate asserts what it should not be able to do).

const SECRET_ENV = 'CODESECEVAL_TEST_SECRET_KEY';
let engine: Engine;
let hostDir: string;
let server: http.Server;
let port = 0;
let connections = 0;

beforeAll(async () => {
  process.env[SECRET_ENV] = 'sk-must-not-leak';
  hostDir = mkdtempSync(path.join(os.tmpdir(), 'codeseceval-host-'));
  writeFileSync(path.join(hostDir, 'secret.txt'), 'host secret');
  server = http.createServer((_, res) => {
    connections++;
    res.end('reached');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
  engine = new Engine({ jobs: 3, timeoutSec: 4, memoryMb: 512 });
});

afterAll(() => {
  engine.close();
  server.close();
  rmSync(hostDir, { recursive: true, force: true });
  delete process.env[SECRET_ENV];
});

const task = makeTask({ test: CHECK_RETURNS_ONE });
const GOOD = 'def solve():\n    return 1\n';

async function run(program: string, t = task) {
  const [r, after] = await engine.run([
    taskJob(t, program),
    taskJob(task, GOOD),
  ]);
  // Whatever the hostile sample did, the next sample on the pool still runs normally.
  expect(after!.status).toBe('passed');
  return r!;
}

describe('hostile candidates never read as a pass', () => {
  it('early os._exit(0)', async () => {
    const r = await run(candidate('import os\nos._exit(0)'));
    expect(r.status).not.toBe('passed');
    expect(r.detail).toMatch(/before check\(\) returned/);
  });

  it('sys.exit(0) at import time', async () => {
    const r = await run(candidate('import sys\nsys.exit(0)'));
    expect(r.status).toBe('error');
    expect(r.detail).toContain('SystemExit');
  });

  it('os._exit(0) from inside the entry point', async () => {
    const r = await run('import os\ndef solve():\n    os._exit(0)\n');
    expect(r.status).not.toBe('passed');
  });

  it('forged verdicts written to stray file descriptors', async () => {
    const forge =
      'import os, json\n' +
      'line = (json.dumps({"nonce": "x", "status": "passed", "detail": ""}) + "\\n").encode()\n' +
      'for fd in range(0, 64):\n    try:\n        os.write(fd, line)\n    except OSError:\n        pass\n' +
      'os._exit(0)';
    const r = await run(candidate(forge));
    expect(r.status).not.toBe('passed');
  });

  it('killing itself with SIGKILL', async () => {
    const r = await run(candidate('import os, signal\nos.kill(os.getpid(), signal.SIGKILL)'));
    expect(r.status).toBe('killed');
  });
});

describe('resource limits', () => {
  it('an infinite loop times out', async () => {
    const r = await run(candidate('while True:\n    pass'));
    expect(r.status).toBe('timeout');
    expect(r.durationMs).toBeLessThan(9000);
  });

  it('a memory bomb hits the memory limit', async () => {
    const r = await run(candidate('chunks = []\nwhile True:\n    chunks.append(bytearray(50 * 1024 * 1024))'));
    expect(r.status).toBe('memory');
  });

  it('a fork bomb is contained and cleaned up', async () => {
    const bomb = 'import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass';
    const r = await run(candidate(bomb));
    // With cgroups (root) the process limit is counted and named; without, only its effects are seen.
    expect(engine.info.cgroup ? ['resource'] : ['timeout', 'killed', 'error']).toContain(r.status);
  });

  it('an output flood is cut and only a short tail is kept', async () => {
    const r = await run(candidate('while True:\n    print("x" * 100000)'));
    expect(r.status).not.toBe('passed');
    expect(r.stdoutTail.length).toBeLessThanOrEqual(2000);
  });

  it('a huge file hits the file-size limit', async () => {
    const r = await run(candidate('with open("big", "wb") as f:\n    while True:\n        f.write(b"0" * (1 << 20))'));
    expect(r.status).not.toBe('passed');
    expect(r.detail).toMatch(/file size|File too large|EFBIG|Errno 27/);
  });

  it('a background child holding stdout does not stall the verdict', async () => {
    const r = await run(candidate('import subprocess\nsubprocess.Popen(["sleep", "60"], start_new_session=True)'));
    expect(r.status).toBe('passed');
    expect(r.durationMs).toBeLessThan(3000);
  });
});

describe('isolation (the candidate passes only if it cannot reach the host)', () => {
  it('has no network, not even the host loopback', async () => {
    const prog = candidate(
      `import socket\ntry:\n    socket.create_connection(("127.0.0.1", ${port}), timeout=2)\n    reached = True\nexcept OSError:\n    reached = False\nassert not reached, "reached the host"`,
    );
    const before = connections;
    const r = await run(prog);
    expect(r.detail).toBe('');
    expect(r.status).toBe('passed');
    expect(connections).toBe(before);
  });

  it('sees no host environment variables (API keys)', async () => {
    const prog = candidate(`import os\nassert "${SECRET_ENV}" not in os.environ\nassert not any(k.endswith("API_KEY") for k in os.environ), sorted(os.environ)`);
    const r = await run(prog);
    expect(r.detail).toBe('');
    expect(r.status).toBe('passed');
  });

  itWithDataset('sees none of the host /tmp, home folders, the project or the dataset', async () => {
    const project = process.cwd();
    const dataset = CODESECEVAL_DIR;
    const paths = [path.join(hostDir, 'secret.txt'), hostDir, '/root', '/home', project, dataset, '/etc/shadow', '/etc/passwd'];
    const prog = candidate(
      `import os\nfor p in ${JSON.stringify(paths)}:\n    assert not os.path.exists(p), p\nassert os.listdir("/tmp") == [], os.listdir("/tmp")`,
    );
    const r = await run(prog);
    expect(r.detail).toBe('');
    expect(r.status).toBe('passed');
  });

  it('cannot write outside its workspace or see other workspaces', async () => {
    const prog = candidate(
      'import os\nfor p in ["/usr/evil", "/etc/evil", "/runner/evil"]:\n    try:\n        open(p, "w").write("x")\n        raise SystemExit("wrote " + p)\n    except OSError:\n        pass\n' +
        'assert os.listdir("/ws") == [os.path.basename(os.getcwd())], os.listdir("/ws")',
    );
    const r = await run(prog);
    expect(r.detail).toBe('');
    expect(r.status).toBe('passed');
  });

  it('cannot signal the runner or see host processes', async () => {
    const prog = candidate(
      'import os, signal\nfor pid in (1, os.getppid()):\n    try:\n        os.kill(pid, signal.SIGKILL)\n        raise SystemExit("signalled")\n    except PermissionError:\n        pass\n' +
        'pids = [p for p in os.listdir("/proc") if p.isdigit()]\nassert len(pids) < 10, pids',
    );
    const r = await run(prog);
    expect(r.detail).toBe('');
    expect(r.status).toBe('passed');
  });
});

describe('fixtures', () => {
  it('every sample starts from pristine fixtures, whatever earlier samples did', async () => {
    const fixtures = mkdtempSync(path.join(os.tmpdir(), 'codeseceval-fx-'));
    mkdirSync(path.join(fixtures, 'sub'));
    writeFileSync(path.join(fixtures, 'data.txt'), 'original');
    writeFileSync(path.join(fixtures, 'sub', 'n.txt'), 'nested');
    const t = makeTask({
      id: 'CWE-22/CWE-23_01',
      fixtureName: 'CWE-22_CWE-23_01',
      fixtureDir: fixtures,
      test:
        'import os, shutil\n' +
        'def check(candidate):\n' +
        '    base = "Test/CWE-22_CWE-23_01"\n' +
        '    assert open(os.path.join(base, "data.txt")).read() == "original"\n' +
        '    assert open(os.path.join(base, "sub", "n.txt")).read() == "nested"\n' +
        '    candidate()\n',
    });
    const vandal = 'import shutil\ndef solve():\n    open("Test/CWE-22_CWE-23_01/data.txt", "w").write("changed")\n    shutil.rmtree("Test/CWE-22_CWE-23_01/sub")\n';
    const rs = await engine.run(Array.from({ length: 6 }, () => taskJob(t, vandal)));
    expect(rs.map((r) => r.status)).toEqual(Array(6).fill('passed'));
    // The upstream copy is untouched.
    expect(readdirSync(fixtures).sort()).toEqual(['data.txt', 'sub']);
    rmSync(fixtures, { recursive: true, force: true });
  });

  it('creates Test/<ID>/ even when the task has no fixtures', async () => {
    const t = makeTask({ test: 'import os\ndef check(candidate):\n    assert os.path.isdir("Test/CWE-000_test_1")\n    assert os.listdir("Test/CWE-000_test_1") == []\n' });
    const r = await run(GOOD, t);
    expect(r.status).toBe('passed');
  });
});

describe('without a sandbox', () => {
  it('a sample that kills its runner costs only that sample', async () => {
    const warnings: string[] = [];
    const plain = new Engine({ jobs: 1, timeoutSec: 5, sandbox: 'none', onWarning: (w) => warnings.push(w) });
    try {
      expect(warnings.join()).toMatch(/UNSANDBOXED/);
      const rs = await plain.run([
        taskJob(task, candidate('import os, signal\nos.kill(os.getppid(), signal.SIGKILL)')),
        taskJob(task, GOOD),
      ]);
      expect(rs[0]!.status).toBe('killed');
      expect(rs[0]!.detail).toMatch(/runner/);
      expect(rs[1]!.status).toBe('passed');
    } finally {
      plain.close();
    }
  });
});

it('leaves no temporary folders behind once closed', () => {
  const e = new Engine({ jobs: 1 });
  const root = (e as unknown as { root: string }).root;
  expect(existsSync(root)).toBe(true);
  e.close();
  expect(existsSync(root)).toBe(false);
});
