/**
 * Issue 18: every file-system error names its real cause and path, through the real CLI.
 * A read-only file system is a read-only tmpfs mount (root only); permission denied is the
 * CLI run as `nobody` (setpriv). Without root these are skipped locally, but fail under CI,
 * whose machine runs the suite as root.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExecutor } from '../src/sandbox/index.js';
import { CODESECEVAL_DIR } from './helpers/datasets.js';
import { ROOT } from './helpers/safety-cli.js';

const inCI = !!process.env.CI && !['false', '0'].includes(process.env.CI);
const isRoot = process.getuid?.() === 0;
const MAIN = path.join(ROOT, 'src', 'cli', 'main.ts');
const TSX = createRequire(import.meta.url).resolve('tsx');

function run(args: string[], asNobody = false): { code: number | null; stderr: string } {
  const node = [process.execPath, '--import', TSX, MAIN, ...args];
  const [cmd, ...rest] = asNobody ? ['setpriv', '--reuid', 'nobody', '--regid', 'nogroup', '--clear-groups', ...node] : node;
  const env: NodeJS.ProcessEnv = { ...process.env, CODESECEVAL_DATASET: CODESECEVAL_DIR, CODESECEVAL_CACHE: path.join(dir, 'cache') };
  delete env.CODESECEVAL_DEBUG;
  const r = spawnSync(cmd!, rest, { env, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stderr: r.stderr };
}

let dir = '';
let ro = '';
let samples = '';
let mounted = false;

describe.runIf(isRoot || inCI)('file-system errors name their real cause and path', () => {
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cse-fs-errors-'));
    chmodSync(dir, 0o755);
    mkdirSync(path.join(dir, 'cache'), { mode: 0o777 });
    chmodSync(path.join(dir, 'cache'), 0o777);
    samples = path.join(dir, 'samples.jsonl');
    writeFileSync(samples, `${JSON.stringify({ task_id: 'CWE-020_codeql_1', solution: 'pass' })}\n`, { mode: 0o644 });
    ro = path.join(dir, 'ro');
    mkdirSync(ro);
    const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', ro], { encoding: 'utf8' });
    if (m.status !== 0) throw new Error(`cannot mount a read-only tmpfs at ${ro} (root is needed): ${m.stderr}`);
    mounted = true;
  });
  afterAll(() => {
    if (mounted) spawnSync('umount', [ro]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('EROFS: --out in a missing folder of a read-only file system names the folder and the cause', () => {
    const out = path.join(ro, 'missing', 'deeper', 'r.jsonl');
    const r = run(['evaluate', '--samples', samples, '--out', out]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toBe(`codeseceval: --out ${out}: cannot create folder ${path.join(ro, 'missing')}: read-only file system\n`);
  });

  it('EROFS: --out in an existing folder of a read-only file system', () => {
    const out = path.join(ro, 'r.jsonl');
    const r = run(['evaluate', '--samples', samples, '--out', out]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toBe(`codeseceval: --out ${out}: folder ${ro} is not writable: read-only file system\n`);
  });

  it('EROFS: run --out, a new folder on a read-only file system', () => {
    const out = path.join(ro, 'run1');
    const r = run(['run', '--model', 'reference:secure', '--tasks', 'CWE-020_codeql_1', '--out', out]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toBe(`codeseceval: --out ${out}: cannot create folder ${out}: read-only file system\n`);
  });

  it('EROFS: a read-only TMPDIR names TMPDIR, the cause and the way out (not the ENOENT Node reports)', () => {
    const before = process.env.TMPDIR;
    process.env.TMPDIR = path.join(ro, 'tmp');
    try {
      expect(() => createExecutor({ jobs: 1 })).toThrow(
        `cannot create a temporary folder for the sandbox in ${path.join(ro, 'tmp')}: no such file; set TMPDIR to a writable folder`,
      );
      process.env.TMPDIR = ro;
      expect(() => createExecutor({ jobs: 1 })).toThrow(`cannot create a temporary folder for the sandbox in ${ro}: read-only file system; set TMPDIR to a writable folder`);
    } finally {
      process.env.TMPDIR = before;
      if (before === undefined) delete process.env.TMPDIR;
    }
  });

  it('EACCES: a folder another user owns, as nobody', () => {
    const owned = path.join(dir, 'owned');
    mkdirSync(owned, { mode: 0o755 });
    const inMissing = path.join(owned, 'new', 'r.jsonl');
    const a = run(['evaluate', '--samples', samples, '--out', inMissing], true);
    expect(a.code, a.stderr).toBe(1);
    expect(a.stderr).toBe(`codeseceval: --out ${inMissing}: cannot create folder ${path.join(owned, 'new')}: permission denied\n`);
    const inOwned = path.join(owned, 'r.jsonl');
    const b = run(['evaluate', '--samples', samples, '--out', inOwned], true);
    expect(b.code, b.stderr).toBe(1);
    expect(b.stderr).toBe(`codeseceval: --out ${inOwned}: folder ${owned} is not writable: permission denied\n`);
  });

  it('EACCES: an input another user may not read, as nobody', () => {
    const secret = path.join(dir, 'secret.jsonl');
    writeFileSync(secret, '{}\n', { mode: 0o600 });
    const r = run(['repair', secret], true);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toBe(`codeseceval: ${secret}: cannot read: permission denied\n`);
  });

  it('ENOSPC: repair on a full disk names the backup it could not write and changes nothing', () => {
    const small = path.join(dir, 'small');
    mkdirSync(small);
    const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', small], { encoding: 'utf8' });
    expect(m.status, m.stderr).toBe(0);
    try {
      const file = path.join(small, 'r.jsonl');
      const good = JSON.stringify({ task_id: 'T', sample_index: 0, passed: true, status: 'passed', detail: 'x'.repeat(40_000), duration_ms: 1 });
      const text = `${good}\n{broken\n`;
      writeFileSync(file, text);
      const r = run(['repair', file]);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toBe(`codeseceval: ${file}: cannot keep a backup as ${file}.bak: no space left on device; the file was left as it is\n`);
      expect(readFileSync(file, 'utf8')).toBe(text);
      // No half-written backup is left to be mistaken for one.
      expect(existsSync(`${file}.bak`)).toBe(false);
    } finally {
      spawnSync('umount', [small]);
    }
  });

  it('ENOENT: a samples file that is not there', () => {
    const missing = path.join(dir, 'nope.jsonl');
    const r = run(['evaluate', '--samples', missing, '--out', path.join(dir, 'r.jsonl')]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toBe(`codeseceval: --samples ${missing}: no such file\n`);
  });
});
