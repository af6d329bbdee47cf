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

/** The trial the sandbox depends on: every namespace unshared, the whole host read-only. */
export const BWRAP_TRIAL = ['--ro-bind', '/', '/', '--unshare-all', '--die-with-parent', 'true'];

/**
 * bubblewrap is installed and can really create a sandbox here. `--version` alone is not
 * enough: containers and hardened kernels often forbid the namespaces it needs.
 */
export async function checkBwrap(bwrap = 'bwrap'): Promise<SystemCheck> {
  const version = await run(bwrap, ['--version'], 10_000);
  if (version.error?.code === 'ENOENT') {
    return { ok: false, detail: `${bwrap} not found`, debian: 'bubblewrap' };
  }
  if (version.code !== 0) {
    return { ok: false, detail: `${bwrap} --version failed: ${oneLine(version.stderr || version.error?.message)}`, debian: 'bubblewrap' };
  }
  const name = version.stdout.trim() || 'bubblewrap';
  const trial = await run(bwrap, BWRAP_TRIAL, 15_000);
  if (trial.code === 0) return { ok: true, detail: `${name}: trial sandbox runs` };
  const why = oneLine(trial.stderr) || oneLine(trial.error?.message) || `exit code ${trial.code}`;
  const namespaces = /namespace|uid map|Operation not permitted|Permission denied/i.test(why);
  return {
    ok: false,
    detail: `${name} is installed but cannot create a sandbox: ${why}`,
    hint: namespaces
      ? 'user namespaces are unavailable: enable them (sysctl kernel.unprivileged_userns_clone=1, or kernel.apparmor_restrict_unprivileged_userns=0 on Ubuntu), or run with enough privileges (a container needs --privileged or a seccomp profile that allows unshare)'
      : undefined,
  };
}

function oneLine(s: string | undefined): string {
  return (s ?? '').trim().split('\n').filter(Boolean).pop()?.trim() ?? '';
}
