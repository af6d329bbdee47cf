import { execFile } from 'node:child_process';
import { versionAtLeast } from './python.js';

/** 20.3: AbortSignal.any, which bounds each model request. */
export const MIN_NODE: readonly [number, number] = [20, 3];

export interface SystemCheck {
  ok: boolean;
  detail: string;
  /** Debian package that would fix it, when there is one. */
  debian?: string;
  hint?: string;
}

export function checkNode(version: string = process.versions.node): SystemCheck {
  const ok = versionAtLeast(version, MIN_NODE);
  return ok
    ? { ok, detail: `Node.js ${version}` }
    : { ok, detail: `Node.js ${version} is too old`, hint: `install Node.js ${MIN_NODE.join(".")} or newer` };
}

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  error: NodeJS.ErrnoException | null;
}

function run(cmd: string, args: string[], timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { code?: unknown }) | null;
      const code = e ? (typeof e.code === 'number' ? e.code : null) : 0;
      resolve({ code, stdout, stderr, error: e });
    });
  });
}

/**
 * The trial the sandbox depends on, in the mode `evaluate` will use: the same namespaces and a
 * fresh /proc, in a user namespace unless run as root (root's sandbox makes its namespaces
 * with its own capabilities). A lighter trial passed in containers where every sample then
 * failed: a fresh /proc is refused under a masked one, and root without CAP_SYS_ADMIN and
 * CAP_NET_ADMIN cannot make the mount and network namespaces.
 */
export function bwrapTrial(asRoot: boolean): string[] {
  return [
    '--ro-bind', '/', '/', '--proc', '/proc', '--dev', '/dev',
    '--unshare-ipc', '--unshare-pid', '--unshare-net', '--unshare-uts', '--unshare-cgroup-try',
    ...(asRoot ? [] : ['--unshare-user']),
    '--die-with-parent', 'true',
  ];
}

/**
 * bubblewrap is installed and can really create a sandbox here. `--version` alone is not
 * enough: containers and hardened kernels often forbid the namespaces it needs.
 */
export async function checkBwrap(bwrap = 'bwrap', asRoot = process.getuid?.() === 0): Promise<SystemCheck> {
  const version = await run(bwrap, ['--version'], 10_000);
  if (version.error?.code === 'ENOENT') {
    return { ok: false, detail: `${bwrap} not found`, debian: 'bubblewrap' };
  }
  if (version.code !== 0) {
    return { ok: false, detail: `${bwrap} --version failed: ${oneLine(version.stderr || version.error?.message)}`, debian: 'bubblewrap' };
  }
  const name = version.stdout.trim() || 'bubblewrap';
  const trial = await run(bwrap, bwrapTrial(asRoot), 15_000);
  if (trial.code === 0) return { ok: true, detail: `${name}: trial sandbox runs${asRoot ? ' (as root: samples under their own uids)' : ''}` };
  const why = oneLine(trial.stderr) || oneLine(trial.error?.message) || `exit code ${trial.code}`;
  const namespaces = /namespace|uid map|Operation not permitted|Permission denied/i.test(why);
  return {
    ok: false,
    detail: `${name} is installed but cannot create a sandbox: ${why}`,
    hint: namespaces
      ? 'the namespaces are refused: enable user namespaces (sysctl kernel.unprivileged_userns_clone=1, or kernel.apparmor_restrict_unprivileged_userns=0 on Ubuntu); in a container, see docs/cluster.md for the flags (non-root: seccomp unconfined and an unmasked /proc; root: also CAP_SYS_ADMIN and CAP_NET_ADMIN)'
      : undefined,
  };
}

function oneLine(s: string | undefined): string {
  return (s ?? '').trim().split('\n').filter(Boolean).pop()?.trim() ?? '';
}
