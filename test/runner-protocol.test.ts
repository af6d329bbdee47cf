import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SoftOutcome } from '../src/core/soft.js';
import { resolveInterpreter } from '../src/sandbox/interpreter.js';
import { ReadyLine, RunnerResult, type RunnerJob } from '../src/sandbox/protocol.js';

// The Python runner and the TypeScript side share one wire format. This runs the real runner
// (unsandboxed: the format does not depend on the sandbox) on jobs that reach every kind of
// line it prints, and holds each line to the zod schemas the worker parses with.

const RUNNER_DIR = path.resolve(import.meta.dirname, '../src/sandbox/python');
let workspace: string;
let lines: unknown[];

const CHECK_ONE = 'def check(candidate):\n    assert candidate() == 1\n';

function job(id: number, program: string, extra: Partial<RunnerJob> = {}): RunnerJob {
  return {
    id, program, test: CHECK_ONE, entry_point: 'solve', fixtures: null, fixture_name: 'T_1',
    timeout: 20, memory_mb: 1024, file_size_mb: 64, max_procs: 64, uid: null, workspace_root: workspace, soft: false,
    ...extra,
  };
}

function runRunner(input: string): Promise<string> {
  const python = resolveInterpreter().path;
  return new Promise((resolve, reject) => {
    const proc = spawn(python, ['-s', path.join(RUNNER_DIR, 'runner.py')], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', PYTHONDONTWRITEBYTECODE: '1', CODESECEVAL_SHIMS: path.join(RUNNER_DIR, 'shims') },
      cwd: workspace,
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let out = '';
    proc.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    proc.on('error', reject);
    proc.on('close', () => resolve(out));
    proc.stdin.end(input);
  });
}

const SOFT_TEST = 'def check(candidate):\n    assert candidate() == 2, "two"\n    {}["k"]\n    assert candidate() == 1\n';

beforeAll(async () => {
  workspace = mkdtempSync(path.join(os.tmpdir(), 'codeseceval-protocol-'));
  const jobs = [
    job(0, 'def solve():\n    return 1\n'),
    job(1, 'def solve():\n    return 2\n'),
    job(2, 'def solve():\n    return {}["x"]\n'),
    job(3, 'def solve():\n    return 1\n', { soft: true, test: SOFT_TEST }),
    job(4, 'def solve():\n    return 1\n', { soft: true }),
    job(5, 'import module_nobody_ships_xyz\n'),
    // The audit event a real lookup raises, without looking anything up.
    job(6, 'import sys\nsys.audit("socket.getaddrinfo", "example.invalid", 80, 0, 0, 0)\nraise OSError(-3, "Temporary failure in name resolution")\n'),
    job(7, 'while True:\n    pass\n', { timeout: 1 }),
    job(8, 'import os\nos._exit(0)\n'),
  ];
  const input = `${jobs.map((j) => JSON.stringify(j)).join('\n')}\nnot json\n${JSON.stringify({ id: 9 })}\n`;
  lines = (await runRunner(input)).trim().split('\n').map((l) => JSON.parse(l) as unknown);
});

afterAll(() => rmSync(workspace, { recursive: true, force: true }));

const RESULT_KEYS = new Set(Object.keys(RunnerResult.shape));

function result(i: number): RunnerResult {
  return RunnerResult.parse(lines[i + 1]);
}

describe('the runner speaks the protocol the worker parses', () => {
  it('starts with a ready line', () => {
    expect(ReadyLine.safeParse(lines[0]).success).toBe(true);
  });

  it('prints one schema-valid result line per job line, and no field the schema lacks', () => {
    expect(lines).toHaveLength(1 + 11);
    for (const line of lines.slice(1)) {
      const parsed = RunnerResult.safeParse(line);
      expect(parsed.error?.message ?? 'ok').toBe('ok');
      expect(Object.keys(line as object).filter((k) => !RESULT_KEYS.has(k))).toEqual([]);
    }
    expect(lines.slice(1).map((l) => (l as { id: unknown }).id)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, null, 9]);
  });

  it('gives each job its verdict', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((i) => result(i).status)).toEqual([
      'passed', 'failed', 'error', 'error', 'passed', 'error', 'error', 'timeout', 'error', 'sandbox-error', 'sandbox-error',
    ]);
    expect(result(1).detail).toBe('AssertionError at test line 2');
    expect(result(8).detail).toBe('exited with status 0 before check() returned');
    expect(result(10).detail).toBe("bad job: field 'program' is missing");
  });

  it('soft outcomes match the contract schema', () => {
    const soft = SoftOutcome.parse(result(3).soft);
    expect(soft).toEqual({
      assertLines: [2, 4],
      assertStatements: [2, 4],
      executedAsserts: [2, 4],
      failures: [
        { line: 2, kind: 'assert', message: 'two' },
        { line: 3, kind: 'exception', message: "KeyError: 'k'" },
      ],
    });
    expect(result(3).detail).toBe("KeyError: 'k' (test line 3)");
    expect(SoftOutcome.parse(result(4).soft)).toEqual({ assertLines: [2], assertStatements: [2], executedAsserts: [2], failures: [] });
    expect(result(0).soft).toBeUndefined();
  });

  it('names environment failures in the optional fields', () => {
    expect(result(5).missing_module).toBe('module_nobody_ships_xyz');
    expect(result(5).detail).toMatch(/^missing module module_nobody_ships_xyz: ModuleNotFoundError/);
    expect(result(6).network).toBe(true);
    expect(result(6).detail).toBe('tried to reach the network: OSError: [Errno -3] Temporary failure in name resolution');
    for (const i of [0, 1, 2, 3, 4, 7, 8]) {
      expect(result(i).missing_module).toBeUndefined();
      expect(result(i).network).toBeUndefined();
    }
  });

  it('leaves no workspace behind', () => {
    expect(readdirSync(workspace)).toEqual([]);
  });
});
