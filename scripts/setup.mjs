#!/usr/bin/env node
// Install what is missing before the tool or its tests run: the Debian packages listed in
// scripts/debian-packages.txt (through apt when run as root, otherwise one line saying what to
// run), the npm dependencies, and the build. Plain Node with no dependencies, because it runs
// before `npm ci` on a fresh clone. Used by `npm run demo`, `npm test` and .ci/run.
//
//   node scripts/setup.mjs [--groups runtime,test] [--check] [--system-only]
//
// --check only reports what is missing (exit 1 if anything is); --system-only stops after the
// Debian packages.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Parse the package list: `[group]` headers, one package per line, `#` comments. */
export function parsePackageList(text) {
  const groups = new Map();
  let current = null;
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) return;
    const header = /^\[([a-z-]+)\]$/.exec(line);
    if (header) {
      current = header[1];
      if (!groups.has(current)) groups.set(current, []);
      return;
    }
    if (!current || !/^[a-z0-9][a-z0-9+.-]*$/.test(line)) {
      throw new Error(`scripts/debian-packages.txt:${i + 1}: expected a [group] header or one package name, got "${line}"`);
    }
    groups.get(current).push(line);
  });
  return groups;
}

function say(line) {
  process.stderr.write(`setup: ${line}\n`);
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  if (r.error) return 127;
  return r.status ?? 1;
}

/** Packages of `wanted` that dpkg does not report as installed; null when there is no dpkg. */
function missingDebianPackages(wanted) {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Package} ${db:Status-Status}\n', ...wanted], { encoding: 'utf8' });
  if (r.error) return null;
  const installed = new Set(
    r.stdout
      .split('\n')
      .filter((l) => l.endsWith(' installed'))
      .map((l) => l.split(' ')[0].split(':')[0]),
  );
  return wanted.filter((p) => !installed.has(p));
}

/**
 * Whether node_modules holds every package of package-lock.json at its locked version. Compared
 * by content, not mtimes: git gives every checked-out file the checkout's time.
 */
function npmDependenciesMatch() {
  const installedPath = join(root, 'node_modules/.package-lock.json');
  if (!existsSync(installedPath)) return false;
  const locked = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')).packages ?? {};
  const installed = JSON.parse(readFileSync(installedPath, 'utf8')).packages ?? {};
  return Object.entries(locked).every(
    ([key, pkg]) => key === '' || pkg.optional || installed[key]?.version === pkg.version,
  );
}

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

function main(argv) {
  const check = argv.includes('--check');
  const gi = argv.indexOf('--groups');
  const groupNames = gi >= 0 ? (argv[gi + 1] ?? '').split(',').filter(Boolean) : ['runtime'];
  const groups = parsePackageList(readFileSync(join(root, 'scripts/debian-packages.txt'), 'utf8'));
  const unknown = groupNames.filter((g) => !groups.has(g));
  if (unknown.length) {
    say(`--groups: unknown group ${unknown.join(', ')} (known: ${[...groups.keys()].join(', ')})`);
    return 1;
  }
  const wanted = [...new Set(groupNames.flatMap((g) => groups.get(g)))];

  // 1. Debian packages.
  const missing = missingDebianPackages(wanted);
  if (missing === null) {
    say(`no dpkg here: cannot check the system packages; install the equivalents of: ${wanted.join(' ')}`);
  } else if (missing.length) {
    const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
    if (check || !isRoot) {
      say(`missing Debian packages; run: sudo apt-get install -y --no-install-recommends ${missing.join(' ')}`);
      return 1;
    }
    say(`installing ${missing.length} Debian package(s): ${missing.join(' ')}`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    // A fresh machine has no package lists yet: update first.
    if (run('apt-get', ['update', '-qq'], { env }) !== 0) {
      say('apt-get update failed');
      return 1;
    }
    const code = run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { env, stdio: ['ignore', 'ignore', 'inherit'] });
    if (code !== 0) {
      say(`apt-get install failed (exit code ${code})`);
      return 1;
    }
  }

  if (argv.includes('--system-only')) return 0;

  // 2. npm dependencies: absent, or not the locked versions.
  if (!npmDependenciesMatch()) {
    if (check) {
      say('npm dependencies are not installed; run: npm ci');
      return 1;
    }
    say('installing npm dependencies (npm ci)');
    if (run('npm', ['ci', '--no-audit', '--no-fund']) !== 0) {
      say('npm ci failed');
      return 1;
    }
  }

  // 3. The build (npm ci builds too, through `prepare`; a changed source needs it again).
  const built = join(root, 'dist/cli/main.js');
  if (!existsSync(built) || statSync(built).mtimeMs < newestMtime(join(root, 'src'))) {
    if (check) {
      say('the build is missing or older than src/; run: npm run build');
      return 1;
    }
    say('building (npm run build)');
    if (run('npm', ['run', '-s', 'build']) !== 0) {
      say('npm run build failed');
      return 1;
    }
  }
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.exitCode = main(process.argv.slice(2));
