import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { registerDoctor } from '../src/cli/doctor.js';
import { KNOWN_MODULES } from '../src/dataset/imports.js';
import { type DoctorReport, type ModuleCheck, planInstall, runDoctor } from '../src/doctor/doctor.js';
import { ANALYZER_NAMES } from '../src/analyzers/registry.js';
import { applyFix } from '../src/doctor/fix.js';
import { formatDoctorReport } from '../src/doctor/format.js';
import { choosePython } from '../src/doctor/python.js';
import { checkBwrap, checkNode } from '../src/doctor/system.js';
import { runCliInProcess } from './helpers/cli.js';
import { CODESECEVAL_DIR, describeWithDataset } from './helpers/datasets.js';

const SHARED = CODESECEVAL_DIR;
const DEBIAN_PY = '/usr/bin/python3';
const hasDebianPython = existsSync(DEBIAN_PY);
const hasBwrap = spawnSync('bwrap', ['--version']).status === 0;

const work = mkdtempSync(path.join(os.tmpdir(), 'cse-doctor-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function script(name: string, body: string): string {
  const p = path.join(work, name);
  writeFileSync(p, `#!/bin/sh\n${body}\n`);
  chmodSync(p, 0o755);
  return p;
}

/** Whether `python` can import `mod`, asked directly, the way the sandbox would run it. */
function importable(python: string, mod: string): boolean {
  return spawnSync(python, ['-s', '-c', `import ${mod}`], { stdio: 'ignore' }).status === 0;
}

function mod(r: DoctorReport, name: string): ModuleCheck {
  const m = r.modules.find((x) => x.module === name);
  if (!m) throw new Error(`no module ${name} in the report`);
  return m;
}

beforeEach(() => {
  // Never let the developer's own cache or settings decide what the doctor sees.
  vi.stubEnv('CODESECEVAL_CACHE', path.join(work, 'empty-cache'));
  vi.stubEnv('CODESECEVAL_DATASET', '');
  vi.stubEnv('CODESECEVAL_PYTHON', '');
});
afterEach(() => vi.unstubAllEnvs());

describe('system checks', () => {
  it('accepts Node 20.3 and newer only', () => {
    expect(checkNode('20.3.0').ok).toBe(true);
    expect(checkNode('20.2.0').ok).toBe(false);
    expect(checkNode('22.3.1').ok).toBe(true);
    const old = checkNode('18.19.0');
    expect(old.ok).toBe(false);
    expect(old.hint).toContain('20.3');
  });

  it.runIf(hasBwrap)('runs a real bubblewrap trial', async () => {
    const r = await checkBwrap();
    expect(r.ok).toBe(true);
    expect(r.detail).toMatch(/bubblewrap \d/);
  });

  it.runIf(hasBwrap)('runs the real trial in both of the sandbox\'s modes', async () => {
    expect((await checkBwrap('bwrap', false)).ok).toBe(true);
    // Root's mode makes namespaces without a user namespace: only root can try it.
    if (process.getuid?.() === 0) expect((await checkBwrap('bwrap', true)).detail).toContain('as root');
  });

  it('tries what evaluate will do: a fresh /proc, no network, a user namespace unless root', async () => {
    const log = path.join(work, 'bwrap-args');
    const fake = script('args-bwrap', `if [ "$1" = --version ]; then echo "bubblewrap 0.0.1"; exit 0; fi\necho "$@" >> ${log}`);
    await checkBwrap(fake, false);
    await checkBwrap(fake, true);
    const [user, root] = readFileSync(log, 'utf8').trim().split('\n');
    for (const args of [user, root]) expect(args).toMatch(/--proc \/proc .*--unshare-net/);
    expect(user).toContain('--unshare-user');
    expect(root).not.toContain('--unshare-user');
  });

  it('reports bubblewrap missing, with its Debian package', async () => {
    const r = await checkBwrap(path.join(work, 'no-such-bwrap'));
    expect(r).toMatchObject({ ok: false, debian: 'bubblewrap' });
    expect(r.detail).toContain('not found');
  });

  it('reports a bubblewrap that cannot create namespaces', async () => {
    const fake = script(
      'fake-bwrap',
      'if [ "$1" = --version ]; then echo "bubblewrap 0.0.1"; exit 0; fi\necho "bwrap: No permissions to creating new namespace" >&2\nexit 1',
    );
    const r = await checkBwrap(fake);
    expect(r.ok).toBe(false);
    expect(r.detail).toContain('No permissions to creating new namespace');
    expect(r.hint).toContain('user namespaces');
  });
});

describe('choosePython', () => {
  it('prefers --python, then $CODESECEVAL_PYTHON, then Debian python3', () => {
    vi.stubEnv('CODESECEVAL_PYTHON', '/opt/env/python');
    expect(choosePython('/x/python')).toBe('/x/python');
    expect(choosePython()).toBe('/opt/env/python');
    vi.stubEnv('CODESECEVAL_PYTHON', '');
    if (hasDebianPython) expect(choosePython()).toBe(DEBIAN_PY);
  });
});

describeWithDataset.runIf(hasDebianPython)('doctor on this machine', () => {
  let report: DoctorReport;
  beforeAll(async () => {
    report = await runDoctor({ python: DEBIAN_PY, dataset: SHARED });
  });

  it('finds Node, Python and the dataset', () => {
    const byName = Object.fromEntries(report.checks.map((c) => [c.name, c]));
    expect(byName.node!.level).toBe('ok');
    expect(byName.python!.level).toBe('ok');
    expect(byName.python!.detail).toContain(DEBIAN_PY);
    expect(report.python).toMatchObject({ path: DEBIAN_PY, inVirtualenv: false, seesDebianPackages: true, exactStdlibList: true });
    expect(byName.dataset).toMatchObject({ level: 'ok' });
    expect(byName.dataset!.detail).toContain('180 tasks');
    expect(byName.bwrap!.level).toBe(hasBwrap ? 'ok' : 'fail');
    expect(report.moduleSource).toBe('dataset');
  });

  it('agrees with the interpreter about every module', () => {
    expect(report.modules.length).toBeGreaterThan(30);
    for (const m of report.modules) {
      const real = importable(DEBIAN_PY, m.probe);
      if (real) expect(m.status, m.module).toBe('ok');
      else expect(m.status, m.module).toBe(KNOWN_MODULES[m.module]?.shim ? 'shim' : 'missing');
    }
    expect(mod(report, 'os')).toMatchObject({ status: 'ok', stdlib: true });
    expect(mod(report, 'flask')).toMatchObject({ stdlib: false, debian: 'python3-flask', pip: 'flask' });
    expect(mod(report, 'flask').usedBy).toBeGreaterThan(20);
  });

  it('puts exactly the missing Debian packages on the apt line', () => {
    const missing = report.modules.filter((m) => m.status === 'missing');
    const debs = [...new Set(missing.map((m) => m.debian).filter((d): d is string => !!d))];
    if (!hasBwrap) debs.push('bubblewrap');
    expect(report.install.apt).toEqual(debs.sort());
    expect(report.ok).toBe(report.checks.every((c) => c.level !== 'fail') && missing.length === 0);
  });

  it('reports PyCrypto and mysql.connector as provided by shim when the real ones are missing', () => {
    for (const name of ['Crypto', 'mysql']) {
      const m = mod(report, name);
      if (!importable(DEBIAN_PY, m.probe)) expect(m.status).toBe('shim');
      expect(report.install.apt.join(' ')).not.toContain(name);
    }
    const text = formatDoctorReport(report);
    if (mod(report, 'Crypto').status === 'shim') expect(text).toMatch(/✓ Crypto: provided by shim/);
  });

  it('without the shims, those modules are missing and go on the pip line', async ({ skip }) => {
    skip(importable(DEBIAN_PY, 'mysql.connector'), 'mysql.connector is installed here, so nothing is missing without the shim');
    const noShims = path.join(work, 'no-shims');
    mkdirSync(noShims, { recursive: true });
    const r = await runDoctor({ python: DEBIAN_PY, dataset: SHARED, shimDir: noShims });
    const m = mod(r, 'mysql');
    expect(m.status).toBe('missing');
    expect(r.install.pip).toContain('mysql-connector-python');
    expect(r.install.pipCommand).toMatch(new RegExp(`^${DEBIAN_PY} -m pip install .*mysql-connector-python`));
    expect(r.ok).toBe(false);
  });

  it('falls back to the known module list when there is no dataset', async () => {
    const r = await runDoctor({ python: DEBIAN_PY });
    expect(r.moduleSource).toBe('known-list');
    expect(r.checks.find((c) => c.name === 'dataset')).toMatchObject({ level: 'warn' });
    expect(r.modules.map((m) => m.module).sort()).toEqual(Object.keys(KNOWN_MODULES).sort());
  });

  it('fails on a broken dataset', async () => {
    const r = await runDoctor({ python: DEBIAN_PY, dataset: path.resolve('test/fixtures/broken/humaneval-duplicate.jsonl') });
    const c = r.checks.find((x) => x.name === 'dataset')!;
    expect(c.level).toBe('fail');
    expect(c.detail).toContain('humaneval-duplicate.jsonl:3');
    expect(r.ok).toBe(false);
  });
});

describeWithDataset.runIf(hasDebianPython)('doctor with a virtualenv', () => {
  const bare = path.join(work, 'venv-bare');
  const system = path.join(work, 'venv-system');
  beforeAll(() => {
    execFileSync(DEBIAN_PY, ['-m', 'venv', '--without-pip', bare]);
    execFileSync(DEBIAN_PY, ['-m', 'venv', '--without-pip', '--system-site-packages', system]);
  }, 120_000);

  it('a bare virtualenv lacks the packages: all on one pip line for that interpreter, none on the apt line', async () => {
    const py = path.join(bare, 'bin', 'python');
    const r = await runDoctor({ python: py, dataset: SHARED });
    expect(r.python).toMatchObject({ path: py, inVirtualenv: true, seesDebianPackages: false });
    expect(r.checks.find((c) => c.name === 'python')!.level).toBe('ok');
    expect(mod(r, 'flask').status).toBe('missing');
    expect(mod(r, 'json')).toMatchObject({ status: 'ok', stdlib: true });
    const wantPip = r.modules.filter((m) => m.status === 'missing').map((m) => m.pip!);
    for (const p of ['flask', 'PyYAML', 'pillow', 'PyJWT', 'lxml', 'bleach', 'requests']) expect(wantPip).toContain(p);
    expect(r.install.pip).toEqual([...new Set(wantPip)].sort());
    expect(r.install.pipCommand).toBe(`${py} -m pip install ${r.install.pip.join(' ')}`);
    expect(r.install.apt.filter((p) => p.startsWith('python3'))).toEqual([]);
    expect(r.install.notes.join(' ')).toContain("Debian's python3-* packages do not reach");
    expect(r.ok).toBe(false);
  });

  it('a virtualenv with system site packages works like Debian python', async () => {
    const py = path.join(system, 'bin', 'python');
    const r = await runDoctor({ python: py, dataset: SHARED });
    expect(r.python).toMatchObject({ inVirtualenv: true, seesDebianPackages: true });
    expect(mod(r, 'flask').status).toBe(importable(DEBIAN_PY, 'flask') ? 'ok' : 'missing');
    expect(r.install.pip.filter((p) => p === 'flask')).toEqual([]);
  });
});

describeWithDataset('doctor with an interpreter that is not Python', () => {
  it('a program that is not Python fails the check and the apt line asks for python3 and the packages', async () => {
    const fake = script('not-python', 'echo "this is not python"');
    const r = await runDoctor({ python: fake, dataset: SHARED, isRoot: false });
    const c = r.checks.find((x) => x.name === 'python')!;
    expect(c.level).toBe('fail');
    expect(c.detail).toContain(fake);
    expect(c.detail).toContain('not a usable Python 3 interpreter');
    expect(r.python).toBeNull();
    expect(r.modules.every((m) => m.status === 'unchecked')).toBe(true);
    expect(r.install.apt).toContain('python3');
    expect(r.install.apt).toContain('python3-flask');
    expect(r.install.apt).toContain('python3-yaml');
    expect(r.install.aptCommand).toMatch(/^sudo apt-get install -y /);
    expect(r.install.pipCommand).toBeNull();
    expect(r.ok).toBe(false);
  });

  it('a Python that dies at start-up says why', async () => {
    const fake = script('broken-python', 'echo "ImportError: bad magic number in encodings" >&2\nexit 1');
    const r = await runDoctor({ python: fake, dataset: SHARED });
    expect(r.checks.find((x) => x.name === 'python')!.detail).toContain('bad magic number');
  });

  it('a path that does not exist', async () => {
    const r = await runDoctor({ python: path.join(work, 'nowhere', 'python3'), dataset: SHARED });
    expect(r.checks.find((x) => x.name === 'python')!.detail).toContain('not found');
  });
});

describe('planInstall', () => {
  const m = (module: string, over: Partial<ModuleCheck>): ModuleCheck => ({
    module,
    probe: module,
    status: 'missing',
    stdlib: false,
    error: 'ModuleNotFoundError',
    debian: KNOWN_MODULES[module]?.debian ?? null,
    pip: KNOWN_MODULES[module]?.pip ?? module,
    usedBy: 1,
    ...over,
  });
  const debianPython = { path: DEBIAN_PY, version: '3.11.2', executable: DEBIAN_PY, inVirtualenv: false, seesDebianPackages: true, exactStdlibList: true };

  it('sends Debian-packaged modules to apt and the rest to pip, sorted, deduplicated', () => {
    const plan = planInstall({
      python: debianPython,
      pythonPath: DEBIAN_PY,
      bwrapPackage: 'bubblewrap',
      isRoot: true,
      modules: [m('yaml', {}), m('flask', {}), m('oddmod', {}), m('Crypto', { status: 'shim' }), m('os', { status: 'ok', stdlib: true })],
    });
    expect(plan.apt).toEqual(['bubblewrap', 'python3-flask', 'python3-yaml']);
    expect(plan.aptCommand).toBe('apt-get install -y bubblewrap python3-flask python3-yaml');
    expect(plan.pipCommand).toBe(`${DEBIAN_PY} -m pip install oddmod`);
    expect(plan.notes.join(' ')).toContain('guessed the pip name "oddmod"');
  });

  it('says so when a standard-library module is missing from the build', () => {
    const plan = planInstall({ python: debianPython, pythonPath: '/opt/py/bin/python3', isRoot: true, modules: [m('sqlite3', { stdlib: true, pip: null })] });
    expect(plan.apt).toEqual([]);
    expect(plan.pip).toEqual([]);
    expect(plan.notes[0]).toContain("sqlite3 is part of Python's standard library");
  });

  it('prints nothing to install when all is well', () => {
    const plan = planInstall({ python: debianPython, pythonPath: DEBIAN_PY, isRoot: true, modules: [m('flask', { status: 'ok' })] });
    expect(plan).toEqual({ apt: [], pip: [], aptCommand: null, pipCommand: null, notes: [] });
  });
});

describe('applyFix', () => {
  const plan = { apt: ['python3-flask', 'python3-yaml'], pip: [], aptCommand: 'apt-get install -y python3-flask python3-yaml', pipCommand: null, notes: [] };

  it('needs root', async () => {
    const calls: string[] = [];
    const r = await applyFix(plan, { isRoot: false, run: async (c, a) => (calls.push([c, ...a].join(' ')), 0) });
    expect(r.ok).toBe(false);
    expect(r.message).toContain('needs root');
    expect(r.message).toContain('apt-get install -y python3-flask python3-yaml');
    expect(calls).toEqual([]);
  });

  it('runs apt-get install -y as root', async () => {
    const calls: string[] = [];
    const r = await applyFix(plan, { isRoot: true, run: async (c, a) => (calls.push([c, ...a].join(' ')), 0) });
    expect(r.ok).toBe(true);
    expect(calls).toEqual(['apt-get install -y python3-flask python3-yaml']);
  });

  it('updates the package lists and retries once when the install fails', async () => {
    const calls: string[] = [];
    const codes = [100, 0, 0];
    const r = await applyFix(plan, { isRoot: true, run: async (c, a) => (calls.push([c, ...a].join(' ')), codes.shift()!) });
    expect(calls).toEqual(['apt-get install -y python3-flask python3-yaml', 'apt-get update', 'apt-get install -y python3-flask python3-yaml']);
    expect(r.ok).toBe(true);
    const failing = await applyFix(plan, { isRoot: true, run: async () => 100 });
    expect(failing).toMatchObject({ ok: false, message: 'apt-get install failed (exit code 100)' });
  });

  it('has nothing to do without apt packages', async () => {
    expect(await applyFix({ ...plan, apt: [] }, { isRoot: true, run: async () => 1 })).toMatchObject({ ok: true, ran: [] });
  });
});

describeWithDataset('codeseceval doctor (CLI)', () => {
  async function cli(...args: string[]) {
    return runCliInProcess(registerDoctor, ['doctor', ...args]);
  }

  it('exits 1 with ✗ lines and install lines for an interpreter that is not Python', async () => {
    const fake = script('not-python-cli', 'echo nope');
    const r = await cli('--python', fake, '--dataset', SHARED);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/✗ Python: .*not-python-cli is not a usable Python 3 interpreter/);
    expect(r.stdout).toMatch(/^ {2}(sudo )?apt-get install -y .*python3 .*python3-flask/m);
    expect(r.stdout).toMatch(/\? \d+ modules not checked without a working interpreter \(.*flask/);
    expect(r.stdout).toContain('Some checks failed');
  });

  it.runIf(hasDebianPython)('--json gives the report, and $CODESECEVAL_PYTHON picks the interpreter', async () => {
    vi.stubEnv('CODESECEVAL_PYTHON', DEBIAN_PY);
    const r = await cli('--json', '--dataset', SHARED);
    const report = JSON.parse(r.stdout) as DoctorReport;
    expect(report.python?.path).toBe(DEBIAN_PY);
    expect(r.exitCode).toBe(report.ok ? 0 : 1);
    expect(report.checks.map((c) => c.name)).toEqual(['node', 'python', 'bwrap', 'limits', 'dataset', ...ANALYZER_NAMES]);
  });
});

describe('doctor: whole-sample limits', () => {
  it('says whether each sample is bounded as a whole, and why not', async () => {
    const { checkSampleLimits } = await import('../src/doctor/doctor.js');
    expect(checkSampleLimits({ available: true, version: 'v1', parents: [] })).toMatchObject({ level: 'ok', detail: expect.stringContaining('cgroup v1') });
    const off = checkSampleLimits({ available: false, reason: 'whole-sample limits need root (cgroups); only per-process limits apply' });
    expect(off.level).toBe('warn');
    expect(off.detail).toBe('per process only: whole-sample limits need root (cgroups); only per-process limits apply');
  });
});
