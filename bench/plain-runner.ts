import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { packageFile } from '../src/io/paths.js';
import type { TestFileJob } from '../src/core/exec.js';
import type { Task } from '../src/core/task.js';

/**
 * The baseline the engine is measured against: what research scripts do — one fresh
 * `python3 prog.py` per sample, program = candidate + Test + check(entry point), in a fresh
 * folder holding the task's fixtures; pass = exit status 0. No sandbox. It gets the same
 * interpreter, `python` command and import shims as the engine, so verdicts can be compared.
 *
 * Run as root, every baseline process runs as `nobody`: the references are real attacks
 * (CWE-022_author_1's Insecure Code removes `../../../../etc/passwd`, which from a folder in
 * /tmp is the host's). A research script run as root would do exactly that; this bench does
 * not, and the uid switch costs nothing measurable.
 */
export async function runPlain(python: string, task: Task, program: string, timeoutSec: number): Promise<boolean> {
  // Same interpreter, `python` command and import shims as the engine, so verdicts compare.
  const env = {
    PATH: `${binDir(python)}:/usr/bin:/bin`,
    LANG: 'C.UTF-8',
    PYTHONPATH: packageFile('sandbox', 'python', 'shims'),
    PYTHONDONTWRITEBYTECODE: '1',
  };
  const dir = mkdtempSync(path.join(os.tmpdir(), 'codeseceval-plain-'));
  try {
    const fixtures = path.join(dir, 'Test', task.fixtureName);
    if (task.fixtureDir) cpSync(task.fixtureDir, fixtures, { recursive: true });
    else mkdirSync(fixtures, { recursive: true });
    writeFileSync(path.join(dir, 'prog.py'), `${program}\n\n${task.test}\n\ncheck(${task.entryPoint})\n`);
    chmodWritable(dir);
    return await new Promise<boolean>((resolve) => {
      const child = spawn(python, ['prog.py'], {
        cwd: dir,
        stdio: 'ignore',
        detached: true,
        env: { ...env, HOME: dir },
        ...unprivileged(),
      });
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }, timeoutSec * 1000);
      child.on('exit', (code) => {
        clearTimeout(timer);
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          /* already gone */
        }
        resolve(code === 0);
      });
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The baseline for test-file benchmarks, as upstream's scripts run them: the module and the
 * test file in a fresh folder with the task's fixtures, one `python3 -m pytest FILE` or
 * `python3 -m unittest MODULE` process per sample; pass = exit status 0.
 */
export async function runPlainTestFile(python: string, job: TestFileJob, timeoutSec: number): Promise<boolean> {
  const env = { PATH: `${binDir(python)}:/usr/bin:/bin`, LANG: 'C.UTF-8', PYTHONPATH: packageFile('sandbox', 'python', 'shims'), PYTHONDONTWRITEBYTECODE: '1' };
  const dir = mkdtempSync(path.join(os.tmpdir(), 'codeseceval-plain-'));
  try {
    for (const f of job.fixtures?.files ?? []) {
      mkdirSync(path.dirname(path.join(dir, f.path)), { recursive: true });
      writeFileSync(path.join(dir, f.path), f.data);
    }
    writeFileSync(path.join(dir, `${job.module}.py`), job.program);
    writeFileSync(path.join(dir, job.testFile), job.test);
    chmodWritable(dir);
    const args =
      job.framework === 'pytest'
        ? ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', job.testFile]
        : ['-m', 'unittest', '-q', job.testFile.replace(/\.py$/, '')];
    return await runIn(python, args, dir, env, timeoutSec);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function runIn(python: string, args: string[], dir: string, env: Record<string, string>, timeoutSec: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const child = spawn(python, args, { cwd: dir, stdio: 'ignore', detached: true, env: { ...env, HOME: dir }, ...unprivileged() });
    const kill = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
    };
    const timer = setTimeout(kill, timeoutSec * 1000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      kill();
      resolve(code === 0);
    });
  });
}

let bin: string | undefined;
function binDir(python: string): string {
  if (!bin) {
    bin = mkdtempSync(path.join(os.tmpdir(), 'codeseceval-plain-bin-'));
    symlinkSync(python, path.join(bin, 'python'));
    symlinkSync(python, path.join(bin, 'python3'));
    chmodSync(bin, 0o755);
    process.on('exit', () => rmSync(bin!, { recursive: true, force: true }));
  }
  return bin;
}

const NOBODY = 65534;

/** Spawn options that drop root to `nobody` (nothing when not root). */
function unprivileged(): { uid?: number; gid?: number } {
  return process.getuid?.() === 0 ? { uid: NOBODY, gid: NOBODY } : {};
}

/** Upstream fixtures may be stored read-only; a fresh checkout would be writable (and the sample's own, as `nobody`). */
function chmodWritable(dir: string): void {
  execFileSync('chmod', ['-R', 'u+w', dir]);
  if (process.getuid?.() === 0) execFileSync('chown', ['-R', `${NOBODY}:${NOBODY}`, dir]);
}
