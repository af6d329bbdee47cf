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
