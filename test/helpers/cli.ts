import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { vi } from 'vitest';

export interface CliOutcome {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/**
 * Run one command in-process through commander, as `codeseceval <argv...>` would, capturing
 * what it prints and the exit code it sets. `register` adds the command(s) under test.
 */
export async function runCliInProcess(register: (program: Command) => void, argv: string[]): Promise<CliOutcome> {
  const program = new Command().exitOverride();
  register(program);
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((stderr += String(s)), true));
  const before = process.exitCode;
  try {
    await program.parseAsync(['node', 'codeseceval', ...argv]);
    return { stdout, stderr, exitCode: Number(process.exitCode ?? 0) };
  } catch (e) {
    // A flag commander refused (exitOverride turns its exit into this error).
    if (e instanceof CommanderError) return { stdout, stderr, exitCode: e.exitCode };
    throw e;
  } finally {
    out.mockRestore();
    err.mockRestore();
    process.exitCode = before;
  }
}

export interface CliChild {
  child: ChildProcess;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

/**
 * The real CLI in a child process, as a user runs it; the child is added to `children` so
 * the test's cleanup can kill what is still running.
 */
export function spawnCli(args: string[], env: Record<string, string>, children: ChildProcess[]): CliChild {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: path.resolve('.'),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stderr })),
  );
  return { child, done };
}

/** Cleanup after a test: kill every child spawnCli started that is still running. */
export function killLeftChildren(children: ChildProcess[]): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  children.length = 0;
}
