import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { UserError } from '../core/errors.js';

export const PYTHON_ENV = 'CODESECEVAL_PYTHON';

/**
 * Options for a probe the tool waits on (execFileSync): its own process group, so a terminal's
 * Ctrl-C reaches only the tool, which then stops cleanly, instead of killing the probe and
 * reading as a broken interpreter. Node's spawnSync honours `detached`; its typings omit it.
 */
export const OWN_PROCESS_GROUP = { detached: true } as object;
const DEBIAN_PYTHON = '/usr/bin/python3';

/**
 * The interpreter, chosen in one place for the sandbox and `doctor`: --python, then
 * $CODESECEVAL_PYTHON, then Debian's /usr/bin/python3 (which has the dataset's apt packages;
 * the python3 first on PATH may be a pyenv build without them), then python3 on PATH.
 */
export function choosePython(flag?: string): string {
  if (flag) return flag;
  if (process.env[PYTHON_ENV]) return process.env[PYTHON_ENV]!;
  if (existsSync(DEBIAN_PYTHON)) return DEBIAN_PYTHON;
  return onPath('python3') ?? 'python3';
}

export function onPath(cmd: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, cmd);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return null;
}

/** What the sandbox needs to know about an interpreter to mount and run it. */
export interface Interpreter {
  /** As given (may be a virtualenv's bin/python symlink). */
  path: string;
  version: string;
  /** sys.prefix and sys.base_prefix: folders the sandbox must show read-only. */
  prefixes: string[];
}

const Probe = z.object({ version: z.string(), prefix: z.string(), base_prefix: z.string(), executable: z.string() });

/**
 * The interpreter: --python, then $CODESECEVAL_PYTHON, then Debian's /usr/bin/python3 (which
 * has the dataset's apt packages; the python3 first on PATH may be a pyenv build without
 * them), then python3 on PATH.
 */
export function resolveInterpreter(flag?: string): Interpreter {
  const chosen = choosePython(flag);
  let out: string;
  try {
    out = execFileSync(
      chosen,
      ['-s', '-c', 'import sys, json; print(json.dumps({"version": sys.version.split()[0], "prefix": sys.prefix, "base_prefix": sys.base_prefix, "executable": sys.executable}))'],
      { encoding: 'utf8', timeout: 20_000, stdio: ['ignore', 'pipe', 'pipe'], ...OWN_PROCESS_GROUP },
    );
  } catch (e) {
    throw new UserError(`cannot run Python interpreter "${chosen}": ${(e as Error).message.split('\n')[0]}`);
  }
  const parsed = Probe.safeParse(JSON.parse(out.trim().split('\n').pop() ?? '{}'));
  if (!parsed.success) throw new UserError(`"${chosen}" did not answer like a Python interpreter`);
  const { version, prefix, base_prefix } = parsed.data;
  if (!/^3\.(\d+)/.test(version) || Number(version.split('.')[1]) < 8) {
    throw new UserError(`Python ${version} at "${chosen}" is too old: 3.8 or newer is needed`);
  }
  return { path: chosen, version, prefixes: [...new Set([prefix, base_prefix])] };
}
