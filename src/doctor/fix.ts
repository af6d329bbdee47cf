import { spawn } from 'node:child_process';
import type { InstallPlan } from './doctor.js';

/** Runs a command with its output going to `stdio`; resolves to the exit code. */
export type CommandRunner = (cmd: string, args: string[]) => Promise<number>;

export interface FixOptions {
  isRoot?: boolean;
  run?: CommandRunner;
  /** Where apt-get's own output goes (stderr keeps --json output clean). */
  log?: (line: string) => void;
}

export interface FixOutcome {
  /** The apt-get invocations made, in order. */
  ran: string[];
  ok: boolean;
  message: string;
}

const spawnRunner: CommandRunner = (cmd, args) =>
  new Promise((resolve) => {
    const child = spawn(cmd, args, {
      stdio: ['ignore', process.stderr, process.stderr],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    child.on('error', () => resolve(127));
    child.on('close', (code) => resolve(code ?? 1));
  });

/**
 * Install the plan's Debian packages. Only apt: pip into someone's interpreter is left to
 * them. A first failure is retried once after `apt-get update`, since a fresh machine often
 * has no package lists yet.
 */
export async function applyFix(plan: InstallPlan, opts: FixOptions = {}): Promise<FixOutcome> {
  const run = opts.run ?? spawnRunner;
  const isRoot = opts.isRoot ?? (typeof process.getuid === 'function' && process.getuid() === 0);
  const log = opts.log ?? (() => undefined);
  if (!plan.apt.length) return { ran: [], ok: true, message: 'nothing to install with apt-get' };
  if (!isRoot) {
    return { ran: [], ok: false, message: `--fix needs root to run apt-get; run as root: apt-get install -y ${plan.apt.join(' ')}` };
  }
  const ran: string[] = [];
  const install = async () => {
    const args = ['install', '-y', ...plan.apt];
    ran.push(`apt-get ${args.join(' ')}`);
    log(`running apt-get ${args.join(' ')}`);
    return run('apt-get', args);
  };
  let code = await install();
  if (code !== 0) {
    ran.push('apt-get update');
    log('apt-get install failed; running apt-get update and trying once more');
    const updated = await run('apt-get', ['update']);
    if (updated === 0) code = await install();
  }
  return code === 0
    ? { ran, ok: true, message: `installed ${plan.apt.join(' ')}` }
    : { ran, ok: false, message: `apt-get install failed (exit code ${code})` };
}
