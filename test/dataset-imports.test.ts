import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { KNOWN_MODULES, datasetImports, pythonImports, topLevelModule } from '../src/dataset/imports.js';
import { loadDataset } from '../src/benchmarks/index.js';
import { CODESECEVAL_DIR, itWithDataset } from './helpers/datasets.js';

describe('pythonImports', () => {
  it('reads import and from-import statements at any indentation', () => {
    const code = [
      'import os',
      'import xml.etree.ElementTree as ET, json',
      'from flask import Flask, request',
      'from werkzeug.utils import secure_filename  # comment',
      'def f():',
      '    import yaml',
      '    from lxml import etree',
      '    if x:',
      '        import mysql.connector',
      'import shlex; import signal',
      'from cryptography.hazmat.primitives import (',
      '    padding,',
      ')',
      'from . import sibling',
      'from .pkg import thing',
      '# import commented_out',
      "x = 'import is a word'",
      'important = 1',
    ].join('\n');
    expect(pythonImports(code)).toEqual([
      'os',
      'xml.etree.ElementTree',
      'json',
      'flask',
      'werkzeug.utils',
      'yaml',
      'lxml',
      'mysql.connector',
      'shlex',
      'signal',
      'cryptography.hazmat.primitives',
    ]);
  });

  it('ignores prose that starts with "import"', () => {
    expect(pythonImports('import the data into the table, then stop')).toEqual([]);
  });

  it('gives top-level names', () => {
    expect(topLevelModule('xml.etree.ElementTree')).toBe('xml');
    expect(topLevelModule('PIL')).toBe('PIL');
  });
});

describe('datasetImports', () => {
  it('lists modules with the tasks that import them (mini fixture)', () => {
    const uses = datasetImports(loadDataset(path.resolve('test/fixtures/codeseceval-mini')));
    expect(uses).toEqual([
      { module: 'html', names: ['html'], tasks: ['CWE-079_mini_1'] },
      { module: 'os', names: ['os'], tasks: ['CWE-862/CWE-287/CWE-306/CWE-863_01'] },
    ]);
  });

  itWithDataset('finds the third-party modules of the real data', () => {
    const mods = datasetImports(loadDataset(CODESECEVAL_DIR)).map((u) => u.module);
    for (const m of ['flask', 'yaml', 'PIL', 'jwt', 'lxml', 'bleach', 'Crypto', 'mysql', 'requests', 'psutil', 'werkzeug', 'jinja2', 'cryptography']) {
      expect(mods).toContain(m);
    }
  });
});

const PY = '/usr/bin/python3';
describe.runIf(existsSync(PY))('KNOWN_MODULES against the real interpreter', () => {
  const stdlib = new Set<string>(
    JSON.parse(execFileSync(PY, ['-c', 'import sys, json; print(json.dumps(sorted(sys.stdlib_module_names)))'], { encoding: 'utf8' })),
  );

  itWithDataset('covers every non-stdlib module the pinned dataset imports', () => {
    const mods = datasetImports(loadDataset(CODESECEVAL_DIR)).map((u) => u.module);
    const uncovered = mods.filter((m) => !stdlib.has(m) && !KNOWN_MODULES[m]);
    expect(uncovered).toEqual([]);
  });

  it('names Debian packages that really ship the module, where they are installed here', () => {
    let checked = 0;
    for (const [mod, src] of Object.entries(KNOWN_MODULES)) {
      if (!src.debian) continue;
      expect(src.debian).toMatch(/^python3-[a-z0-9.-]+$/);
      const listed = spawnSync('dpkg', ['-L', src.debian], { encoding: 'utf8' });
      if (listed.status !== 0) continue; // not installed on this machine
      const shipped = listed.stdout.split('\n').some((f) => new RegExp(`/dist-packages/${mod}(/|\\.py$|\\.cpython)`).test(f));
      expect(shipped, `${src.debian} ships ${mod}`).toBe(true);
      checked++;
    }
    expect(checked).toBeGreaterThan(0);
  });

  it('has no shim for a module Debian provides, and a pip name for every entry', () => {
    for (const src of Object.values(KNOWN_MODULES)) {
      expect(src.pip).toMatch(/^[A-Za-z0-9._-]+$/);
      if (src.shim) expect(src.debian).toBeNull();
    }
  });
});
