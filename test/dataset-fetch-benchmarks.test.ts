import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tar from 'tar';
import { afterAll, afterEach, beforeEach, expect, it, vi } from 'vitest';
import { benchmarkOf, fetchedDir } from '../src/benchmarks/index.js';
import { verifyTree } from '../src/benchmarks/fetch/manifest.js';
import { registerDatasetFetch } from '../src/cli/dataset-fetch.js';
import { openDataset } from '../src/dataset/locate.js';
import { runCliInProcess } from './helpers/cli.js';
import { CWEVAL_DIR, SALLM_DIR, describeWithCweval, describeWithSallm } from './helpers/datasets.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'cse-fetch-bench-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/**
 * An archive laid out like GitHub's tarball of the repository: one top folder, the data where
 * upstream keeps it, and repository files and litter that are not data beside and inside it.
 */
async function archiveOf(name: string, shared: string, top: string, extra: (root: string) => void): Promise<string> {
  const tree = path.join(work, `tree-${name}`);
  const root = path.join(tree, top);
  cpSync(shared, root, { recursive: true, filter: (src) => path.basename(src) !== 'README.md' || path.dirname(src) !== shared });
  writeFileSync(path.join(root, 'README.md'), '# upstream readme, not data\n');
  extra(root);
  const file = path.join(work, `${name}.tar.gz`);
  await tar.c({ gzip: true, file, cwd: tree, portable: true }, [top]);
  return file;
}

function cli(...args: string[]) {
  return runCliInProcess((p) => registerDatasetFetch(p.command('dataset')), ['dataset', 'fetch', ...args]);
}

let cache: string;
beforeEach(() => {
  cache = mkdtempSync(path.join(work, 'cache-'));
  vi.stubEnv('CODESECEVAL_CACHE', cache);
  vi.stubEnv('CODESECEVAL_SALLM', '');
  vi.stubEnv('CODESECEVAL_CWEVAL', '');
});
afterEach(() => vi.unstubAllEnvs());

describeWithSallm('dataset fetch sallm', () => {
  it('installs only the pinned, verified data where --benchmark sallm finds it; refuses a tampered copy', async () => {
    const manifest = benchmarkOf('sallm').fetch!.manifest;
    const good = await archiveOf('sallm', SALLM_DIR, `SALLM-${manifest.commit}`, (root) => {
      writeFileSync(path.join(root, 'PythonDataset', 'Dataset_creator.ipynb'), '{}');
      writeFileSync(path.join(root, 'PythonDataset', '.DS_Store'), 'finder');
      mkdirSync(path.join(root, 'JavaDataset'));
      writeFileSync(path.join(root, 'JavaDataset', 'x.java'), 'class X {}');
    });
    const r = await cli('sallm', '--url', good);
    expect(r.stderr).toContain(`installed ${Object.keys(manifest.files).length} verified files`);
    expect(r.exitCode).toBe(0);
    const dir = fetchedDir('sallm');
    expect(r.stdout).toBe(`${dir}\n`);
    expect(readdirSync(dir).sort()).toEqual(['.codeseceval-fetch.json', 'LICENSE', 'PythonDataset']);
    expect(existsSync(path.join(dir, 'PythonDataset', 'Dataset_creator.ipynb'))).toBe(false);
    expect(await verifyTree(dir, manifest)).toEqual([]);
    expect(openDataset(undefined, 'sallm').tasks).toHaveLength(93);

    const bad = await archiveOf('sallm-bad', SALLM_DIR, `SALLM-${manifest.commit}`, (root) => {
      writeFileSync(path.join(root, 'PythonDataset', 'Tainted', 'Author', 'test_A_cwe078_0.py'), 'import unittest\n');
    });
    const refused = await cli('sallm', '--url', bad, '--force');
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain('PythonDataset/Tainted/Author/test_A_cwe078_0.py');
    // The verified install is left as it was.
    expect(await verifyTree(dir, manifest)).toEqual([]);
  });
});

describeWithCweval('dataset fetch cweval', () => {
  it('installs benchmark/core/py and pytest.ini only, leaving the other languages out', async () => {
    const manifest = benchmarkOf('cweval').fetch!.manifest;
    const good = await archiveOf('cweval', CWEVAL_DIR, `CWEval-${manifest.commit}`, (root) => {
      mkdirSync(path.join(root, 'benchmark', 'core', 'c'), { recursive: true });
      writeFileSync(path.join(root, 'benchmark', 'core', 'c', 'cwe_020_0_task.c'), 'int main() {}\n');
      writeFileSync(path.join(root, 'cweval.py'), 'print(1)\n');
    });
    const r = await cli('cweval', '--url', good);
    expect(r.exitCode).toBe(0);
    const dir = fetchedDir('cweval');
    expect(existsSync(path.join(dir, 'benchmark', 'core', 'c'))).toBe(false);
    expect(existsSync(path.join(dir, 'cweval.py'))).toBe(false);
    expect(await verifyTree(dir, manifest)).toEqual([]);
    expect(openDataset(undefined, 'cweval').tasks).toHaveLength(25);
  });
});

it('refuses an unknown benchmark name in one line', async () => {
  const r = await cli('nosuch');
  expect(r.exitCode).toBe(1);
  expect(r.stderr).toMatch(/unknown benchmark "nosuch" \(one of codeseceval, sallm, cweval, humaneval\)/);
  const h = await cli('humaneval');
  expect(h.exitCode).toBe(1);
  expect(h.stderr).toContain('HumanEval has no pinned public source');
});
