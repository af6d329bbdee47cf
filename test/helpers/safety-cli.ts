/**
 * The real CLI as a child process, for the safety tests: started in its own process group
 * when asked (as a shell starts a foreground job), so a test can signal the whole group the
 * way a terminal's Ctrl-C does. Also the checks those tests share: leftover engine folders,
 * leftover sandbox processes, and results files read strictly.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';

export const ROOT = path.resolve(import.meta.dirname, '..', '..');
const MAIN = path.join(ROOT, 'src', 'cli', 'main.ts');
// An absolute loader, so the child may run in any working folder.
const TSX = createRequire(import.meta.url).resolve('tsx');

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Cli {
  child: ChildProcess;
  pid: number;
  /** What the child has printed so far. */
  readonly stderr: string;
  readonly stdout: string;
  done: Promise<Exit>;
  /** Signal the child's whole process group (it must have been started with `group`). */
  signalGroup(sig: NodeJS.Signals): void;
}

const started: Cli[] = [];

export interface CliOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Own process group, like a foreground job in a shell. */
  group?: boolean;
}

export function cli(args: string[], opts: CliOptions = {}): Cli {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // Progress bars only on a terminal; never a debug stack in messages under test.
  delete env.CODESECEVAL_DEBUG;
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  const child = spawn(process.execPath, ['--import', TSX, MAIN, ...args], {
    cwd: opts.cwd ?? ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: opts.group ?? false,
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<Exit>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout: out, stderr: err })),
  );
  const run: Cli = {
    child,
    pid: child.pid!,
    get stderr() {
      return err;
    },
    get stdout() {
      return out;
    },
    done,
    signalGroup(sig) {
      if (!opts.group) throw new Error('signalGroup needs a child started with { group: true }');
      process.kill(-child.pid!, sig);
    },
  };
  started.push(run);
  return run;
}

/** For afterEach: kill whatever a failed test left running (its group too, when it has one). */
export function killStarted(): void {
  for (const r of started.splice(0)) {
    if (r.child.exitCode !== null || r.child.signalCode !== null) continue;
    try {
      process.kill(-r.pid, 'SIGKILL');
    } catch {
      r.child.kill('SIGKILL');
    }
  }
}

/** Poll until `check` is true; fails naming `what` after `ms`. */
export async function waitFor(check: () => boolean, what: string | (() => string), ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The child's exit; fails with what it printed if it is still running after `ms`. */
export async function exited(run: Cli, ms = 60_000): Promise<Exit> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`pid ${run.pid} still running after ${ms} ms; stderr so far:\n${run.stderr.slice(-3000)}`)), ms);
  });
  try {
    return await Promise.race([run.done, late]);
  } finally {
    clearTimeout(timer);
  }
}

const made: string[] = [];

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** For afterAll: remove every folder tempDir made. */
export function removeTempDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** The engine's temporary folders in `tmp` (the child's TMPDIR). */
export function engineFolders(tmp: string): string[] {
  return readdirSync(tmp).filter((n) => n.startsWith('codeseceval-engine-'));
}

/**
 * Processes whose command line mentions `needle`: sandbox workers carry their engine folder
 * (under the child's TMPDIR) in their bwrap arguments, so none may be left once the tool exits.
 */
export function processesMentioning(needle: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    let cmd: string;
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (cmd.includes(needle)) found.push(`${pid}: ${cmd.replace(/\0/g, ' ').slice(0, 200)}`);
  }
  return found;
}

/** Every line of a JSONL file, parsed; an unparseable or torn line fails the test. */
export function jsonLines(file: string): Record<string, unknown>[] {
  if (!existsSync(file)) return [];
  const text = readFileSync(file, 'utf8');
  if (text && !text.endsWith('\n')) throw new Error(`${file}: last line has no newline`);
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((l, i) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        throw new Error(`${file}:${i + 1}: not JSON: ${l.slice(0, 100)}`);
      }
    });
}

/** Complete lines in a file so far, for polling a writer's progress. */
export function lineCount(file: string): number {
  if (!existsSync(file)) return 0;
  const text = readFileSync(file, 'utf8');
  let n = 0;
  for (const ch of text) if (ch === '\n') n++;
  return n;
}
