import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');
const script = path.join(root, 'scripts/setup.mjs');
const isRoot = process.getuid?.() === 0;
const dir = mkdtempSync(path.join(os.tmpdir(), 'codeseceval-setup-'));
chmodSync(dir, 0o755);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A PATH whose dpkg-query reports only `installed` as installed and whose apt-get records its
 * arguments: the real script, run against a machine we describe.
 */
function fakeSystem(installed: string[]): { env: NodeJS.ProcessEnv; aptLog: string } {
  const bin = mkdtempSync(path.join(dir, 'bin-'));
  chmodSync(bin, 0o755);
  const aptLog = path.join(bin, 'apt.log');
  writeFileSync(
    path.join(bin, 'dpkg-query'),
    `#!/bin/sh\nshift 2\nfor p in "$@"; do case " ${installed.join(' ')} " in *" $p "*) echo "$p installed";; *) echo "$p not-installed";; esac; done\n`,
  );
  writeFileSync(path.join(bin, 'apt-get'), `#!/bin/sh\necho "$@" >> ${aptLog}\n`);
  chmodSync(path.join(bin, 'dpkg-query'), 0o755);
  chmodSync(path.join(bin, 'apt-get'), 0o755);
  return { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` }, aptLog };
}

function runtimePackages(): string[] {
  const text = readFileSync(path.join(root, 'scripts/debian-packages.txt'), 'utf8');
  const runtime = text.split('[runtime]')[1]!.split('[')[0]!;
  return runtime.split('\n').map((l) => l.replace(/#.*/, '').trim()).filter(Boolean);
}

describe('the install step (scripts/setup.mjs)', () => {
  it('does nothing to the system when every package is there', () => {
    const { env, aptLog } = fakeSystem(runtimePackages());
    const r = spawnSync(process.execPath, [script, '--system-only'], { env, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(() => readFileSync(aptLog)).toThrow();
  });

  it.runIf(isRoot)('as root, updates the package lists and installs exactly what is missing', () => {
    const { env, aptLog } = fakeSystem(runtimePackages().filter((p) => p !== 'bubblewrap' && p !== 'bandit'));
    const r = spawnSync(process.execPath, [script, '--system-only'], { env, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(aptLog, 'utf8').trim().split('\n')).toEqual([
      'update -qq',
      'install -y -qq --no-install-recommends bubblewrap bandit',
    ]);
  });

  it.runIf(isRoot)('not root, says in one line what to run and exits 1', () => {
    const { env, aptLog } = fakeSystem(runtimePackages().filter((p) => p !== 'python3-flask'));
    // A copy nobody can read, wherever the checkout lives (CI's may be under /root).
    const copy = mkdtempSync(path.join(dir, 'repo-'));
    chmodSync(copy, 0o755);
    mkdirSync(path.join(copy, 'scripts'), { mode: 0o755 });
    for (const f of ['setup.mjs', 'debian-packages.txt']) copyFileSync(path.join(root, 'scripts', f), path.join(copy, 'scripts', f));
    const r = spawnSync('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, path.join(copy, 'scripts/setup.mjs'), '--system-only'], {
      cwd: copy,
      env,
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([
      'setup: missing Debian packages; run: sudo apt-get install -y --no-install-recommends python3-flask',
    ]);
    expect(() => readFileSync(aptLog)).toThrow();
  });

  it('refuses an unknown group in one line', () => {
    const r = spawnSync(process.execPath, [script, '--groups', 'runtime,nope', '--check'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toMatch(/^setup: --groups: unknown group nope \(known: runtime, test/);
  });
});
