import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import * as tar from 'tar';
import { afterAll, afterEach, beforeAll, beforeEach,  expect, it, vi } from 'vitest';
import { registerDatasetFetch } from '../src/cli/dataset-fetch.js';
import { DATASET_URL_ENV, defaultDatasetUrl, fetchDataset, resolveDatasetUrl } from '../src/benchmarks/codeseceval/fetch.js';
import { loadDataset } from '../src/benchmarks/index.js';
import { fetchedDatasetDir, openDataset } from '../src/dataset/locate.js';
import { FETCH_INFO_FILE, MANIFEST, verifyTree } from '../src/benchmarks/codeseceval/manifest.js';
import { runCliInProcess } from './helpers/cli.js';
import { UserError } from '../src/core/errors.js';
import { CODESECEVAL_DIR, describeWithDataset } from './helpers/datasets.js';

const SHARED = CODESECEVAL_DIR;
const TOP = `CodeSecEval-Plus-${MANIFEST.commit}`;
const work = mkdtempSync(path.join(os.tmpdir(), 'cse-fetch-'));
const archives = path.join(work, 'archives');

/**
 * Build an archive laid out like GitHub's tarball of the repository: one top folder, the data
 * in its CodeSecEval/ folder, other repository files beside it, and Finder litter inside.
 */
async function buildArchive(name: string, mutate?: (dataDir: string) => void): Promise<string> {
  const tree = path.join(work, `tree-${name}`);
  const data = path.join(tree, TOP, 'CodeSecEval');
  cpSync(SHARED, data, { recursive: true });
  writeFileSync(path.join(tree, TOP, 'README.md'), '# upstream repository readme\n');
  writeFileSync(path.join(tree, TOP, 'eval.py'), 'print("not data")\n');
  writeFileSync(path.join(data, 'SecEvalBase', '.DS_Store'), 'finder');
  mutate?.(data);
  mkdirSync(archives, { recursive: true });
  const file = path.join(archives, `${name}.tar.gz`);
  await tar.c({ gzip: true, file, cwd: tree, portable: true }, [TOP]);
  return file;
}

let server: http.Server;
let base = '';
const hits: string[] = [];

beforeAll(async () => {
  await buildArchive('good');
  await buildArchive('tampered', (d) => writeFileSync(path.join(d, 'SecEvalPlus', 'Test', 'CWE-89_01', 'example.db'), 'not the upstream bytes'));
  await buildArchive('tampered-json', (d) => {
    const f = path.join(d, 'SecEvalBase', 'SecEvalBase.json');
    writeFileSync(f, readFileSync(f, 'utf8').replace('def check(candidate)', 'def check(candidate) '));
  });
  await buildArchive('missing', (d) => unlinkSync(path.join(d, 'SecEvalBase', 'Test', 'CWE-022_author_1', 'test.jpg')));
  await buildArchive('extra', (d) => writeFileSync(path.join(d, 'SecEvalPlus', 'Test', 'CWE-78_01', 'planted.txt'), 'extra'));
  await buildArchive('symlink', (d) => symlinkSync('/etc/passwd', path.join(d, 'SecEvalPlus', 'Test', 'CWE-78_01', 'passwd')));
  const good = readFileSync(path.join(archives, 'good.tar.gz'));
  writeFileSync(path.join(archives, 'truncated.tar.gz'), good.subarray(0, Math.floor(good.length / 2)));
  writeFileSync(path.join(archives, 'html.tar.gz'), '<html>not an archive</html>');

  server = http.createServer((req, res) => {
    hits.push(req.url ?? '');
    if (req.url === '/stall') {
      res.writeHead(200, { 'content-type': 'application/gzip' });
      res.write(good.subarray(0, 1024));
      return; // never ends: the client's stall timer must fire
    }
    if (req.url === '/short') {
      // Promises more than it sends, then hangs up.
      res.writeHead(200, { 'content-length': String(good.length) });
      res.end(good.subarray(0, 2048));
      req.socket.destroy();
      return;
    }
    if (req.url === '/redirect') {
      res.writeHead(302, { location: '/good.tar.gz' });
      res.end();
      return;
    }
    const file = path.join(archives, path.basename(req.url ?? ''));
    if (!req.url?.endsWith('.tar.gz') || !existsSync(file)) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    const body = readFileSync(file);
    res.writeHead(200, { 'content-type': 'application/gzip', 'content-length': String(body.length) });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 120_000);

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  rmSync(work, { recursive: true, force: true });
});

let cache: string;
beforeEach(() => {
  cache = mkdtempSync(path.join(work, 'cache-'));
  vi.stubEnv('CODESECEVAL_CACHE', cache);
  vi.stubEnv(DATASET_URL_ENV, '');
  vi.stubEnv('CODESECEVAL_DATASET', '');
  hits.length = 0;
});
afterEach(() => vi.unstubAllEnvs());

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    expect((e as Error).message).not.toContain('\n');
    return e as Error;
  }
  throw new Error('expected the fetch to fail');
}

/** Only the install folder may remain beside it: no staging or set-aside folders. */
function leftovers(): string[] {
  const parent = path.dirname(fetchedDatasetDir());
  return existsSync(parent) ? readdirSync(parent).filter((n) => n !== path.basename(fetchedDatasetDir())) : [];
}

describeWithDataset('dataset fetch', () => {
  it('downloads, verifies and installs the data where openDataset finds it', async () => {
    const phases: string[] = [];
    const r = await fetchDataset({ url: `${base}/good.tar.gz`, onProgress: (p) => phases.push(p.phase) });
    expect(r.status).toBe('installed');
    expect(r.dir).toBe(path.join(cache, 'datasets', 'codeseceval'));
    expect(r.files).toBe(Object.keys(MANIFEST.files).length);
    expect(r.archiveBytes).toBe(readFileSync(path.join(archives, 'good.tar.gz')).length);
    expect(phases[0]).toBe('download');
    expect(phases.slice(-3)).toEqual(['extract', 'verify', 'install']);

    expect(await verifyTree(r.dir)).toEqual([]);
    // Only the data: no repository files, no Finder litter.
    expect(readdirSync(r.dir).sort()).toEqual([FETCH_INFO_FILE, 'SecEvalBase', 'SecEvalPlus']);
    expect(existsSync(path.join(r.dir, 'SecEvalBase', '.DS_Store'))).toBe(false);
    const info = JSON.parse(readFileSync(path.join(r.dir, FETCH_INFO_FILE), 'utf8'));
    expect(info).toMatchObject({ commit: MANIFEST.commit, url: `${base}/good.tar.gz`, archiveSha256: r.archiveSha256 });

    const ds = openDataset();
    expect(ds.source).toBe(r.dir);
    expect(ds.tasks).toHaveLength(180);
    expect(leftovers()).toEqual([]);
  });

  it('leaves a verified install alone unless --force, without downloading', async () => {
    await fetchDataset({ url: `${base}/good.tar.gz` });
    hits.length = 0;
    const again = await fetchDataset({ url: `${base}/good.tar.gz` });
    expect(again.status).toBe('already-installed');
    expect(hits).toEqual([]);
    const forced = await fetchDataset({ url: `${base}/good.tar.gz`, force: true });
    expect(forced.status).toBe('installed');
    expect(hits).toEqual(['/good.tar.gz']);
    expect(await verifyTree(forced.dir)).toEqual([]);
    expect(leftovers()).toEqual([]);
  });

  it('follows redirects and reads $CODESECEVAL_DATASET_URL', async () => {
    vi.stubEnv(DATASET_URL_ENV, `${base}/redirect`);
    expect(resolveDatasetUrl()).toBe(`${base}/redirect`);
    expect((await fetchDataset()).status).toBe('installed');
    expect(hits).toEqual(['/redirect', '/good.tar.gz']);
  });

  it('installs from a local archive path', async () => {
    const r = await fetchDataset({ url: path.join(archives, 'good.tar.gz') });
    expect(r.status).toBe('installed');
    expect(loadDataset(r.dir).tasks).toHaveLength(180);
  });

  it.each([
    ['tampered', 'SecEvalPlus/Test/CWE-89_01/example.db: SHA-256'],
    ['tampered-json', 'SecEvalBase/SecEvalBase.json: SHA-256'],
    ['missing', 'SecEvalBase/Test/CWE-022_author_1/test.jpg: missing'],
    ['extra', 'SecEvalPlus/Test/CWE-78_01/planted.txt: unexpected file'],
    ['symlink', 'SecEvalPlus/Test/CWE-78_01/passwd (SymbolicLink)'],
  ])('refuses a %s archive, naming the file, and installs nothing', async (name, expected) => {
    const e = await failure(fetchDataset({ url: `${base}/${name}.tar.gz` }));
    expect(e.message).toContain(expected);
    expect(e.message).toContain('nothing was installed');
    expect(existsSync(fetchedDatasetDir())).toBe(false);
    expect(leftovers()).toEqual([]);
  });

  it('keeps an earlier good install untouched when a forced fetch fails verification', async () => {
    const first = await fetchDataset({ url: `${base}/good.tar.gz` });
    const infoBefore = readFileSync(path.join(first.dir, FETCH_INFO_FILE), 'utf8');
    const e = await failure(fetchDataset({ url: `${base}/tampered.tar.gz`, force: true }));
    expect(e.message).toContain('example.db');
    expect(await verifyTree(first.dir)).toEqual([]);
    expect(readFileSync(path.join(first.dir, FETCH_INFO_FILE), 'utf8')).toBe(infoBefore);
    expect(leftovers()).toEqual([]);
  });

  it('reports a broken existing install and asks for --force', async () => {
    const r = await fetchDataset({ url: `${base}/good.tar.gz` });
    writeFileSync(path.join(r.dir, 'SecEvalPlus', 'SecEvalPlus.json'), '[]');
    const e = await failure(fetchDataset({ url: `${base}/good.tar.gz` }));
    expect(e.message).toContain('SecEvalPlus/SecEvalPlus.json');
    expect(e.message).toContain('--force');
    expect((await fetchDataset({ url: `${base}/good.tar.gz`, force: true })).status).toBe('installed');
    expect(await verifyTree(r.dir)).toEqual([]);
  });

  it('reports HTTP errors with the status', async () => {
    const e = await failure(fetchDataset({ url: `${base}/nothing-here.tar.gz` }));
    expect(e.message).toBe(`${base}/nothing-here.tar.gz: download failed: HTTP 404 Not Found`);
    expect(leftovers()).toEqual([]);
  });

  it('reports a refused connection', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const e = await failure(fetchDataset({ url: `http://127.0.0.1:${port}/x.tar.gz` }));
    expect(e.message).toContain('ECONNREFUSED');
    expect(e.message).toContain(`127.0.0.1:${port}`);
    expect(leftovers()).toEqual([]);
  });

  it('gives up on a server that stops sending', async () => {
    const e = await failure(fetchDataset({ url: `${base}/stall`, stallTimeoutMs: 300 }));
    expect(e.message).toContain('no data for');
  });

  it('notices a connection cut short', async () => {
    const e = await failure(fetchDataset({ url: `${base}/short` }));
    expect(e.message).toMatch(/download failed after|truncated/);
  });

  it.each([
    ['truncated', 'truncated.tar.gz'],
    ['not an archive', 'html.tar.gz'],
  ])('refuses a %s download', async (_name, file) => {
    const e = await failure(fetchDataset({ url: `${base}/${file}` }));
    expect(e.message).toContain(`${base}/${file}`);
    expect(existsSync(fetchedDatasetDir())).toBe(false);
    expect(leftovers()).toEqual([]);
  });

  it('enforces a size limit', async () => {
    const e = await failure(fetchDataset({ url: `${base}/good.tar.gz`, maxBytes: 10_000 }));
    expect(e.message).toContain('larger than');
  });

  it('rejects URLs it cannot fetch', async () => {
    expect((await failure(fetchDataset({ url: 'ftp://example.invalid/x.tar.gz' }))).message).toContain('unsupported URL scheme');
    expect((await failure(fetchDataset({ url: 'no/such/archive.tar.gz' }))).message).toContain('not a URL or an existing file');
  });

  it('points at the pinned commit by default', () => {
    expect(defaultDatasetUrl()).toBe(`https://codeload.github.com/smallrabbit490/CodeSecEval-Plus/tar.gz/${MANIFEST.commit}`);
    expect(resolveDatasetUrl()).toBe(defaultDatasetUrl());
  });
});

describeWithDataset('the pinned manifest', () => {
  it('matches the shared copy of the upstream data, file for file', async () => {
    expect(MANIFEST.commit).toBe('2c03e4b05a0b12cdcdcb37c9a41a64e45c8884e5');
    // The shared copy has a README of its own beside the subset folders: not data, ignored.
    expect(await verifyTree(SHARED)).toEqual([]);
    expect(Object.keys(MANIFEST.files)).toContain('SecEvalBase/SecEvalBase.json');
    expect(Object.keys(MANIFEST.files)).toContain('SecEvalPlus/Vulnerability-Aware Problem_Insecure Code Explanation_Annotation.json');
    expect(Object.keys(MANIFEST.files).filter((f) => f.includes('/Test/')).length).toBeGreaterThan(100);
  });
});

describeWithDataset('codeseceval dataset fetch (CLI)', () => {
  async function cli(...args: string[]) {
    return runCliInProcess((p) => registerDatasetFetch(p.command('dataset')), ['dataset', 'fetch', ...args]);
  }

  it('prints progress and sizes on stderr and the install folder on stdout', async () => {
    const r = await cli('--url', `${base}/good.tar.gz`);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(`${fetchedDatasetDir()}\n`);
    expect(r.stderr).toContain(`downloading ${base}/good.tar.gz`);
    expect(r.stderr).toMatch(/downloaded \d+(\.\d)? (KiB|MiB)/);
    expect(r.stderr).toContain(`installed ${Object.keys(MANIFEST.files).length} verified files`);
    const again = await cli('--url', `${base}/good.tar.gz`);
    expect(again.stderr).toContain('already installed');
  });

  it('fails with one line and exit code 1 on a tampered archive', async () => {
    const r = await cli('--url', `${base}/tampered.tar.gz`);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe('');
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('codeseceval:'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('example.db');
  });
});
