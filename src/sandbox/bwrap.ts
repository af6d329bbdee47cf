import { existsSync, lstatSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import type { Interpreter } from './interpreter.js';

/** Mount points inside the sandbox. */
export const SANDBOX = {
  workspace: '/ws',
  fixtures: '/fixtures',
  runner: '/runner',
  bin: '/runner-bin',
} as const;

/** The parts of /etc a Python program legitimately reads; the rest of /etc stays hidden. */
const ETC_ALLOWLIST = [
  'alternatives', 'ssl', 'ca-certificates', 'ca-certificates.conf', 'localtime', 'timezone',
  'mime.types', 'nsswitch.conf', 'hosts', 'host.conf', 'ld.so.cache', 'ld.so.conf', 'ld.so.conf.d',
  'os-release', 'debian_version', 'fonts', 'protocols', 'services', 'xml', 'sgml', 'magic',
  'python3', 'python3.11', 'python3.12', 'python3.13', 'login.defs',
];

/** Top-level system folders: symlinks on merged-/usr systems, real folders on others. */
const ROOT_SYSTEM_DIRS = ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32'];

export interface BwrapOptions {
  interpreter: Interpreter;
  /** More variables for the runner (set after the environment is cleared). */
  env?: Readonly<Record<string, string>>;
  /** Size of each of the sample's writable filesystems (/ws, /tmp, /dev/shm), in MiB. */
  diskMb: number;
  fixturesHost: string;
  runnerHost: string;
  /** Folder with `python`/`python3` links to the interpreter, put first on PATH. */
  binHost: string;
  /** Host cgroup folders of this worker's samples, bound into the sandbox for the runner's child to join. */
  cgroups?: readonly string[];
  /** File descriptor (in bwrap) of the seccomp program to load, if any. */
  seccompFd?: number;
  /** Running as root: keep the few capabilities the runner needs to drop samples to another uid. */
  privileged: boolean;
}

/**
 * bubblewrap arguments for one worker: no network, its own PID/IPC/UTS namespaces, a
 * read-only view of /usr and the interpreter, and nothing of the host's home folders, /tmp,
 * the project or the dataset. Everything a sample can write (its workspace under /ws, /tmp,
 * /dev/shm) is a size-limited tmpfs of the worker's own, which the runner empties after every
 * sample: nothing reaches the host's disk and nothing outlives the sample. The environment
 * is rebuilt from scratch so no API key or other host variable reaches the sample.
 */
export function bwrapArgs(o: BwrapOptions): string[] {
  const args = [
    '--die-with-parent', '--new-session',
    '--unshare-ipc', '--unshare-pid', '--unshare-net', '--unshare-uts', '--unshare-cgroup-try',
  ];
  if (!o.privileged) args.push('--unshare-user');
  args.push('--ro-bind', '/usr', '/usr');
  for (const dir of ROOT_SYSTEM_DIRS) {
    const p = `/${dir}`;
    if (!existsSync(p)) continue;
    const st = lstatSync(p);
    if (st.isSymbolicLink()) args.push('--symlink', readlinkSync(p), p);
    else if (st.isDirectory()) args.push('--ro-bind', p, p);
  }
  // bwrap would create /etc as 0700, hiding it from the unprivileged sample.
  args.push('--perms', '0755', '--dir', '/etc');
  for (const entry of ETC_ALLOWLIST) {
    const p = path.join('/etc', entry);
    if (existsSync(p)) args.push('--ro-bind', p, p);
  }
  const size = String(o.diskMb * 1024 * 1024);
  args.push(
    '--proc', '/proc',
    '--dev', '/dev',
    '--size', size, '--perms', '1777', '--tmpfs', '/dev/shm',
    '--size', size, '--perms', '1777', '--tmpfs', '/tmp',
  );
  // After the private /tmp, so an interpreter or virtualenv that lives under /tmp stays visible.
  for (const prefix of o.interpreter.prefixes) {
    if (!isUnder(prefix, '/usr')) args.push(...parentsUnderTmp(prefix), '--ro-bind', prefix, prefix);
  }
  // A virtualenv's python is a symlink into its base interpreter: mount the link's folder too.
  const exeDir = path.dirname(o.interpreter.path);
  if (path.isAbsolute(exeDir) && !isUnder(exeDir, '/usr') && !o.interpreter.prefixes.some((p) => isUnder(exeDir, p))) {
    args.push(...parentsUnderTmp(exeDir), '--ro-bind', exeDir, exeDir);
  }
  args.push(
    '--size', size, '--perms', '0755', '--tmpfs', SANDBOX.workspace,
    '--ro-bind', o.fixturesHost, SANDBOX.fixtures,
    '--ro-bind', o.runnerHost, SANDBOX.runner,
    '--ro-bind', o.binHost, SANDBOX.bin,
    ...(o.cgroups ?? []).flatMap((dir, i) => ['--bind', dir, cgroupInSandbox(i)]),
    '--clearenv',
    '--setenv', 'PATH', `${SANDBOX.bin}:/usr/local/bin:/usr/bin:/bin`,
    '--setenv', 'LANG', 'C.UTF-8',
    '--setenv', 'HOME', SANDBOX.workspace,
    '--setenv', 'PYTHONDONTWRITEBYTECODE', '1',
    '--setenv', 'CODESECEVAL_PIDNS', '1',
    '--setenv', 'CODESECEVAL_SHIMS', `${SANDBOX.runner}/shims`,
    // Emptied by the runner after every sample (only inside the sandbox: they are its own).
    '--setenv', 'CODESECEVAL_SCRATCH', '/tmp:/dev/shm',
    ...Object.entries(o.env ?? {}).flatMap(([name, value]) => ['--setenv', name, value]),
    '--chdir', SANDBOX.workspace,
  );
  if (o.seccompFd !== undefined) args.push('--seccomp', String(o.seccompFd));
  if (o.privileged) {
    args.push('--cap-drop', 'ALL');
    for (const cap of ['CAP_SETUID', 'CAP_SETGID', 'CAP_CHOWN', 'CAP_FOWNER', 'CAP_DAC_OVERRIDE', 'CAP_KILL']) {
      args.push('--cap-add', cap);
    }
  }
  return args;
}

/** Where the i-th cgroup folder of a worker is seen inside its sandbox. */
export function cgroupInSandbox(i: number): string {
  return `/cgroup/${i}`;
}

/**
 * bwrap creates the missing folders above a mount point with mode 0700; under the private
 * /tmp that would hide a virtualenv in /tmp/x/venv from the unprivileged sample uid. Create
 * them world-readable first.
 */
function parentsUnderTmp(target: string): string[] {
  if (!isUnder(target, '/tmp') || target === '/tmp') return [];
  const out: string[] = [];
  let dir = path.dirname(target);
  const chain: string[] = [];
  while (dir !== '/tmp' && isUnder(dir, '/tmp')) {
    chain.unshift(dir);
    dir = path.dirname(dir);
  }
  for (const d of chain) out.push('--perms', '0755', '--dir', d);
  return out;
}

function isUnder(p: string, dir: string): boolean {
  const rel = path.relative(dir, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}
