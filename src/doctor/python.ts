import { execFile } from 'node:child_process';
import { z } from 'zod';

/** The doctor checks the interpreter the sandbox will use, chosen the same way. */
export { choosePython } from '../sandbox/interpreter.js';

/** Where Debian's python3-* packages install; on sys.path only for Debian's interpreter (or a venv made with --system-site-packages). */
export const DEBIAN_DIST_PACKAGES = '/usr/lib/python3/dist-packages';
export const MIN_PYTHON: readonly [number, number] = [3, 8];

const MARK = '@@codeseceval-doctor@@';

/**
 * Runs inside the interpreter. Each module is really imported (a package can be present but
 * broken, or stdlib's sqlite3 can lack its C part in a home-made build), with stdout
 * silenced so a chatty import cannot corrupt the answer, which is the last line.
 */
const PROBE_SCRIPT = `
import contextlib, importlib, io, json, os, sys, sysconfig
mods = json.loads(sys.argv[1])
names = getattr(sys, "stdlib_module_names", None)
stdlib_dir = os.path.realpath(sysconfig.get_paths()["stdlib"])
def is_stdlib(top):
    if names is not None:
        return top in names
    if top in sys.builtin_module_names:
        return True
    import importlib.util
    try:
        spec = importlib.util.find_spec(top)
    except Exception:
        return False
    if spec is None or not spec.origin:
        return False
    if spec.origin in ("built-in", "frozen"):
        return True
    origin = os.path.realpath(spec.origin)
    return origin.startswith(stdlib_dir + os.sep) and "-packages" not in origin
results = {}
for top, probe in mods:
    error = None
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            importlib.import_module(probe)
    except BaseException as e:
        error = "%s: %s" % (type(e).__name__, e)
    results[top] = {"stdlib": is_stdlib(top), "ok": error is None, "error": error}
print("${MARK}" + json.dumps({
    "version": "%d.%d.%d" % sys.version_info[:3],
    "executable": sys.executable,
    "prefix": sys.prefix,
    "base_prefix": getattr(sys, "base_prefix", sys.prefix),
    "path": sys.path,
    "stdlib_names": names is not None,
    "modules": results,
}))
`;

const ProbeAnswer = z.object({
  version: z.string().regex(/^\d+\.\d+\.\d+$/),
  executable: z.string(),
  prefix: z.string(),
  base_prefix: z.string(),
  path: z.array(z.string()),
  stdlib_names: z.boolean(),
  modules: z.record(z.string(), z.object({ stdlib: z.boolean(), ok: z.boolean(), error: z.string().nullable() })),
});

export interface PythonInfo {
  /** As chosen (a virtualenv's bin/python stays as given). */
  path: string;
  version: string;
  executable: string;
  inVirtualenv: boolean;
  /** Whether Debian's python3-* packages are importable by this interpreter. */
  seesDebianPackages: boolean;
  /** Whether stdlib membership came from sys.stdlib_module_names (3.10+) rather than a guess from file locations. */
  exactStdlibList: boolean;
}

export interface ModuleProbe {
  stdlib: boolean;
  ok: boolean;
  error: string | null;
}

export type PythonProbe =
  | { ok: true; info: PythonInfo; modules: Map<string, ModuleProbe> }
  | { ok: false; path: string; error: string };

/**
 * Start the interpreter once and import every module in it. `modules` are [top-level name,
 * what to import] pairs. Runs with -s like the sandbox, so user site-packages don't count.
 */
export function probePython(python: string, modules: [string, string][], timeoutMs = 120_000): Promise<PythonProbe> {
  return new Promise((resolve) => {
    execFile(
      python,
      ['-s', '-c', PROBE_SCRIPT, JSON.stringify(modules)],
      { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' },
      (err, stdout, stderr) => {
        const last = stdout.split('\n').find((l) => l.startsWith(MARK));
        if (!last) {
          const why = err
            ? (err as NodeJS.ErrnoException).code === 'ENOENT'
              ? 'not found'
              : lastLine(stderr) || firstLine(err.message)
            : 'it did not answer like a Python 3 interpreter';
          resolve({ ok: false, path: python, error: why });
          return;
        }
        let json: unknown;
        try {
          json = JSON.parse(last.slice(MARK.length));
        } catch {
          resolve({ ok: false, path: python, error: 'its answer was not valid JSON' });
          return;
        }
        const parsed = ProbeAnswer.safeParse(json);
        if (!parsed.success) {
          resolve({ ok: false, path: python, error: `unexpected answer: ${parsed.error.issues[0]?.message ?? 'invalid'}` });
          return;
        }
        const a = parsed.data;
        resolve({
          ok: true,
          info: {
            path: python,
            version: a.version,
            executable: a.executable,
            inVirtualenv: a.prefix !== a.base_prefix,
            seesDebianPackages: a.path.includes(DEBIAN_DIST_PACKAGES),
            exactStdlibList: a.stdlib_names,
          },
          modules: new Map(Object.entries(a.modules)),
        });
      },
    );
  });
}

export function versionAtLeast(version: string, min: readonly number[]): boolean {
  const v = version.split('.').map(Number);
  for (let i = 0; i < min.length; i++) {
    const a = v[i] ?? 0;
    if (a !== min[i]) return a > min[i]!;
  }
  return true;
}

function firstLine(s: string): string {
  return s.trim().split('\n')[0]?.trim() ?? '';
}

/** A traceback's last line is the one that says what went wrong. */
function lastLine(s: string): string {
  return s.trim().split('\n').filter(Boolean).pop()?.trim() ?? '';
}
