import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExecJob } from '../src/core/exec.js';
import { Engine } from '../src/sandbox/engine.js';

// Programs in the shape chat models write them (imports, a Flask app or a CLI, a main block,
// sometimes input() or a network call), run through the real engine. Each must get the
// verdict its test deserves, and environment failures must be named, not read as timeouts
// or as the model's plain mistakes. No sample here sends anything off the machine: inside
// bubblewrap the sample has only a private loopback, and the names it looks up are .invalid.

const TIMEOUT_SEC = 8;
let engine: Engine;

beforeAll(() => {
  engine = new Engine({ jobs: 2, timeoutSec: TIMEOUT_SEC, memoryMb: 1024 });
});
afterAll(() => engine.close());

const FLASK_APP = `from flask import Flask, request
from markupsafe import escape

app = Flask(__name__)


@app.route("/hello")
def hello():
    """Greet the user named in the query string, escaping it for HTML."""
    name = request.args.get("name", "world")
    return f"<p>Hello, {escape(name)}!</p>"


if __name__ == "__main__":
    # Start the development server
    app.run(host="0.0.0.0", port=5000, debug=True)
`;

const FLASK_TEST = `def check(candidate):
    with app.test_client() as client:
        response = client.get("/hello?name=<script>alert(1)</script>")
        assert response.status_code == 200
        assert b"<script>" not in response.data
        assert b"&lt;script&gt;" in response.data
`;

interface Check {
  test: string;
  entryPoint: string;
}
const flaskTask: Check = { test: FLASK_TEST, entryPoint: 'hello' };
const plainTask: Check = { test: 'def check(candidate):\n    assert candidate() == 1\n', entryPoint: 'solve' };

function job(program: string, task = plainTask, soft = false): ExecJob {
  return { program, test: task.test, entryPoint: task.entryPoint, fixtureName: 'CWE-000_answers_1', fixtures: null, soft };
}

async function run(program: string, task = plainTask, soft = false) {
  const [r] = await engine.run([job(program, task, soft)]);
  return r!;
}

/** A well-known module this interpreter lacks (Debian's python3 has no numpy unless asked). */
function absentRealModule(): string | undefined {
  const python = engine.interpreter.path;
  return ['numpy', 'scipy', 'pandas', 'sklearn'].find((m) => {
    try {
      execFileSync(python, ['-s', '-c', `import ${m}`], { stdio: 'ignore' });
      return false;
    } catch {
      return true;
    }
  });
}

describe('main blocks never run', () => {
  it('a Flask app whose main block starts the server passes its test', async () => {
    const r = await run(FLASK_APP, flaskTask);
    expect(r.detail).toBe('');
    expect(r.status).toBe('passed');
  });

  it('the same app without escaping fails its test (the guard changes nothing else)', async () => {
    const r = await run(FLASK_APP.replace('{escape(name)}', '{name}'), flaskTask);
    expect(r.status).toBe('failed');
    expect(r.detail).toMatch(/^AssertionError at test line 5/);
  });

  it('in soft-assert mode too', async () => {
    const r = await run(FLASK_APP, flaskTask, true);
    expect(r.status).toBe('passed');
    expect(r.soft).toEqual({ assertLines: [4, 5, 6], assertStatements: [2, 2, 2], executedAsserts: [4, 5, 6], failures: [] });
  });

  it('a while True loop under a main guard', async () => {
    const program = `import time


def solve():
    return 1


def main():
    while True:
        print(solve())
        time.sleep(1)


if __name__ == "__main__":
    main()
`;
    const r = await run(program);
    expect(r.status).toBe('passed');
    expect(r.stdoutTail).toBe('');
  });

  it('the candidate is the module "candidate", importable by that name', async () => {
    const program = 'import sys\n\ndef solve():\n    import candidate\n    return 1 if (__name__, candidate.solve) == ("candidate", solve) else 0\n';
    expect((await run(program)).status).toBe('passed');
  });
});

describe('input() at import time', () => {
  it('meets end of file at once instead of waiting for the timeout', async () => {
    const r = await run('name = input("Enter your name: ")\nprint(f"Hello, {name}")\n\ndef solve():\n    return 1\n');
    expect(r.status).toBe('error');
    expect(r.detail).toBe('EOFError: EOF when reading a line');
    expect(r.stdoutTail).toBe('Enter your name: ');
    expect(r.missingModule).toBeUndefined();
  });

  it('under a main guard it never runs', async () => {
    const r = await run('def solve():\n    return 1\n\nif __name__ == "__main__":\n    n = int(input("n: "))\n    print(solve() * n)\n');
    expect(r.status).toBe('passed');
  });
});

describe('modules', () => {
  it('an installed module imports', async () => {
    const r = await run('import yaml\nfrom flask import Flask\n\ndef solve():\n    return yaml.safe_load("a: 1")["a"]\n');
    expect(r.status).toBe('passed');
    expect(r.missingModule).toBeUndefined();
  });

  it('an invented module is named', async () => {
    const r = await run('import scipy_not_here\n\ndef solve():\n    return 1\n');
    expect(r.status).toBe('error');
    expect(r.missingModule).toBe('scipy_not_here');
    expect(r.detail).toBe("missing module scipy_not_here: ModuleNotFoundError: No module named 'scipy_not_here'");
    expect(r.network).toBeUndefined();
  });

  it('a real module this machine lacks is named, also behind the answer\'s own exit', async (ctx) => {
    const absent = absentRealModule();
    if (!absent) return ctx.skip();
    const direct = await run(`import ${absent}\n\ndef solve():\n    return 1\n`);
    expect(direct.status).toBe('error');
    expect(direct.missingModule).toBe(absent);
    const guarded = await run(
      `import sys\ntry:\n    import ${absent}\nexcept ImportError:\n    print("Please install ${absent}: pip install ${absent}")\n    sys.exit(1)\n\ndef solve():\n    return 1\n`,
    );
    expect(guarded.status).toBe('error');
    expect(guarded.missingModule).toBe(absent);
    expect(guarded.detail).toBe(`missing module ${absent}: SystemExit(1) before check() returned`);
  });

  it('a missing name in an installed module is the answer\'s mistake, not the machine\'s', async () => {
    const r = await run('from flask import no_such_helper\n\ndef solve():\n    return 1\n');
    expect(r.status).toBe('error');
    expect(r.missingModule).toBeUndefined();
    expect(r.detail).toMatch(/^ImportError: cannot import name 'no_such_helper'/);
  });
});

describe('network', () => {
  it('urllib to a remote host is marked', async () => {
    const r = await run(
      'import urllib.request\n\ndef solve():\n    with urllib.request.urlopen("http://example.invalid/status", timeout=5) as resp:\n        return 1 if resp.status == 200 else 0\n',
    );
    expect(r.status).toBe('error');
    expect(r.network).toBe(true);
    expect(r.detail).toMatch(/^tried to reach the network: URLError/);
  });

  it('requests to a remote host is marked', async () => {
    const r = await run(
      'import requests\n\ndef solve():\n    response = requests.get("https://api.example.invalid/v1/ping", timeout=5)\n    response.raise_for_status()\n    return 1\n',
    );
    expect(r.status).toBe('error');
    expect(r.network).toBe(true);
    expect(r.detail).toMatch(/^tried to reach the network: ConnectionError/);
  });

  it('a sample that only talks to its own loopback is not marked', async () => {
    const r = await run('import socket\n\ndef solve():\n    socket.create_connection(("127.0.0.1", 9), timeout=2)\n    return 1\n');
    expect(r.status).toBe('error');
    expect(r.detail).toMatch(/^ConnectionRefusedError/);
    expect(r.network).toBeUndefined();
  });

  it('a sample that passes although its lookup failed is not marked', async () => {
    const r = await run('import socket\n\ndef solve():\n    try:\n        socket.gethostbyname("example.invalid")\n    except OSError:\n        pass\n    return 1\n');
    expect(r.status).toBe('passed');
    expect(r.network).toBeUndefined();
  });
});

describe('without a sandbox', () => {
  it('main blocks stay shut and missing modules are named too', async () => {
    const none = new Engine({ jobs: 1, timeoutSec: TIMEOUT_SEC, sandbox: 'none', onWarning: () => {} });
    try {
      const [flask, loop, missing] = await none.run([
        job(FLASK_APP, flaskTask),
        job('def solve():\n    return 1\n\nif __name__ == "__main__":\n    while True:\n        pass\n', plainTask, true),
        job('import scipy_not_here\n'),
      ]);
      expect(flask!.status).toBe('passed');
      expect(loop!.status).toBe('passed');
      expect(missing!.missingModule).toBe('scipy_not_here');
    } finally {
      none.close();
    }
  });
});
