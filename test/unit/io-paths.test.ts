import { chmodSync, existsSync, linkSync, mkdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cacheDir, checkInputFile, checkOutputFile, checkOutputFolder, packageFile, PACKAGE_ROOT, realTarget } from '../../src/io/index.js';
import { message, tempRoot } from './io-temp.js';

const { fresh: freshDir } = tempRoot('io-paths-');

describe('package paths', () => {
  it('finds the package root and its shipped files', () => {
    expect(existsSync(path.join(PACKAGE_ROOT, 'package.json'))).toBe(true);
    expect(existsSync(packageFile('io', 'paths.ts'))).toBe(true);
  });

  it('puts the cache where the environment says', () => {
    const saved = { c: process.env.CODESECEVAL_CACHE, x: process.env.XDG_CACHE_HOME };
    try {
      process.env.CODESECEVAL_CACHE = 'rel/cache';
      expect(cacheDir()).toBe(path.resolve('rel/cache'));
      delete process.env.CODESECEVAL_CACHE;
      process.env.XDG_CACHE_HOME = '/xdg';
      expect(cacheDir()).toBe('/xdg/codeseceval');
      delete process.env.XDG_CACHE_HOME;
      expect(cacheDir()).toBe(path.join(os.homedir(), '.cache', 'codeseceval'));
    } finally {
      for (const [k, v] of [['CODESECEVAL_CACHE', saved.c], ['XDG_CACHE_HOME', saved.x]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });
});

describe('realTarget', () => {
  it('follows a symlink to a file not made yet, so both names share one lock', () => {
    const d = realTarget(freshDir());
    mkdirSync(path.join(d, 'sub'));
    symlinkSync('../future.jsonl', path.join(d, 'sub', 'link.jsonl'));
    symlinkSync(path.join(d, 'sub', 'link.jsonl'), path.join(d, 'chain.jsonl'));
    expect(realTarget(path.join(d, 'sub', 'link.jsonl'))).toBe(path.join(d, 'future.jsonl'));
    expect(realTarget(path.join(d, 'chain.jsonl'))).toBe(path.join(d, 'future.jsonl'));
    // A loop ends; it names the loop's own path.
    symlinkSync('loop-b', path.join(d, 'loop-a'));
    symlinkSync('loop-a', path.join(d, 'loop-b'));
    expect([path.join(d, 'loop-a'), path.join(d, 'loop-b')]).toContain(realTarget(path.join(d, 'loop-a')));
  });
});

describe('checkInputFile', () => {
  it('names the flag and path of a missing file or a directory', () => {
    const d = freshDir();
    const f = path.join(d, 's.jsonl');
    expect(message(() => checkInputFile(f, '--samples'))).toBe(`--samples ${f}: no such file`);
    expect(message(() => checkInputFile(d, '--samples'))).toBe(`--samples ${d}: is a directory, not a file`);
    expect(message(() => checkInputFile(path.join(f, 'x')))).toBe(`${path.join(f, 'x')}: no such file`);
    writeFileSync(f, '');
    checkInputFile(f, '--samples');
  });
});

describe('checkOutputFile', () => {
  it('refuses a directory and a missing folder, naming them as given', () => {
    const d = freshDir();
    expect(message(() => checkOutputFile(d, { flag: '--out' }))).toBe(`--out ${d}: is a directory, not a file`);
    const cwd = process.cwd();
    try {
      process.chdir(d);
      expect(message(() => checkOutputFile('a/b/c.jsonl', { flag: '--out' }))).toBe('--out a/b/c.jsonl: folder a/b does not exist');
      writeFileSync('file', '');
      expect(message(() => checkOutputFile('file/c.jsonl', { flag: '--out' }))).toBe('--out file/c.jsonl: file is not a folder');
      expect(message(() => checkOutputFile('file/x/c.jsonl', { flag: '--out' }))).toBe('--out file/x/c.jsonl: a part of file/x is not a folder');
      expect(checkOutputFile('r.jsonl', { flag: '--out' })).toBe(path.join(realTarget(d), 'r.jsonl'));
    } finally {
      process.chdir(cwd);
    }
  });

  it('creates a missing folder when asked', () => {
    const d = freshDir();
    const f = path.join(d, 'x', 'y', 'r.jsonl');
    expect(checkOutputFile(f, { flag: '--out', createFolder: true })).toBe(path.join(realTarget(d), 'x', 'y', 'r.jsonl'));
    expect(statSync(path.join(d, 'x', 'y')).isDirectory()).toBe(true);
  });

  it('refuses an output that is one of the inputs, also by another name', () => {
    const d = freshDir();
    const cwd = process.cwd();
    try {
      process.chdir(d);
      writeFileSync('r.jsonl', '{}\n');
      mkdirSync('sub');
      const inputs = [
        { flag: '--validation', file: 'v.json' },
        { flag: '--samples', file: 'r.jsonl' },
      ];
      expect(message(() => checkOutputFile('r.jsonl', { flag: '--out', inputs }))).toBe(
        '--out r.jsonl is also an input (--samples); choose another file',
      );
      expect(message(() => checkOutputFile('./sub/../r.jsonl', { flag: '--out', inputs: [{ flag: 'results file', file: path.join(d, 'r.jsonl') }] }))).toBe(
        '--out ./sub/../r.jsonl is also an input (results file); choose another file',
      );
      // A symlink to the input, and a hard link to it.
      symlinkSync('r.jsonl', 'link.jsonl');
      linkSync('r.jsonl', 'hard.jsonl');
      expect(message(() => checkOutputFile('link.jsonl', { flag: '--out', inputs }))).toBe(
        '--out link.jsonl is also an input (--samples); choose another file',
      );
      expect(message(() => checkOutputFile('hard.jsonl', { flag: '--out', inputs }))).toBe(
        '--out hard.jsonl is also an input (--samples); choose another file',
      );
      // Not created yet, but its folder is the input's folder through a symlinked folder.
      symlinkSync('.', 'alias');
      const later = [{ flag: '--samples', file: 'later.jsonl' }];
      expect(message(() => checkOutputFile('alias/later.jsonl', { flag: '--out', inputs: later }))).toBe(
        '--out alias/later.jsonl is also an input (--samples); choose another file',
      );
      expect(checkOutputFile('other.jsonl', { flag: '--out', inputs })).toBe(path.join(realTarget(d), 'other.jsonl'));
    } finally {
      process.chdir(cwd);
    }
  });

  // Root may write anywhere, so only another user can see these refusals.
  it.skipIf(process.getuid?.() === 0)('refuses a file or folder it cannot write', () => {
    const d = freshDir();
    const f = path.join(d, 'r.jsonl');
    writeFileSync(f, '');
    chmodSync(f, 0o444);
    expect(message(() => checkOutputFile(f, { flag: '--out' }))).toBe(`--out ${f}: is not writable: permission denied`);
    chmodSync(d, 0o555);
    try {
      expect(message(() => checkOutputFile(path.join(d, 'new.jsonl'), { flag: '--out' }))).toBe(
        `--out ${path.join(d, 'new.jsonl')}: folder ${d} is not writable: permission denied`,
      );
    } finally {
      chmodSync(d, 0o755);
    }
  });
});

describe('checkOutputFolder', () => {
  it('refuses a file, a missing parent and an input; creates when asked', () => {
    const d = freshDir();
    const f = path.join(d, 'f');
    writeFileSync(f, '');
    expect(message(() => checkOutputFolder(f, { flag: '--out' }))).toBe(`--out ${f}: is a file, not a folder`);
    const deep = path.join(d, 'x', 'run');
    expect(message(() => checkOutputFolder(deep, { flag: '--out' }))).toBe(`--out ${deep}: folder ${path.join(d, 'x')} does not exist`);
    expect(checkOutputFolder(deep, { flag: '--out', create: true })).toBe(path.join(realTarget(d), 'x', 'run'));
    expect(statSync(deep).isDirectory()).toBe(true);
    expect(message(() => checkOutputFolder(d, { flag: '--out', inputs: [{ flag: '--dataset', file: d }] }))).toBe(
      `--out ${d} is also an input (--dataset); choose another folder`,
    );
  });
});
