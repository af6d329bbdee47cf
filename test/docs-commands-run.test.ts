import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { CODESECEVAL_DIR, describeWithDataset } from './helpers/datasets.js';
import { documentationFiles, documentedCommands, runsOffline } from './support/doc-commands.js';

const root = path.resolve(import.meta.dirname, '..');
const cli = path.join(root, 'dist/cli/main.js');

/**
 * The documented commands that need no network, key or cluster are run as written, page by
 * page in one working folder each (a page's later commands read what its earlier ones made).
 * A block marked `<!-- docs-test: parse-only -->` is only parsed (test/unit/doc-commands.test.ts).
 */
describeWithDataset('documented offline commands run', () => {
  const work = mkdtempSync(path.join(os.tmpdir(), 'codeseceval-docs-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  const commands = documentedCommands(root).filter(runsOffline);

  for (const file of documentationFiles(root)) {
    const own = commands.filter((c) => c.file === file);
    if (!own.length) continue;
    const cwd = path.join(work, file.replace(/[/.]/g, '_'));
    // Each page's commands run in order: one test per page.
    it(`${file}: ${own.length} command(s)`, () => {
      rmSync(cwd, { recursive: true, force: true });
      spawnSync('mkdir', ['-p', cwd]);
      for (const c of own) {
        const r = spawnSync(process.execPath, [cli, ...c.args], {
          cwd,
          encoding: 'utf8',
          env: { ...process.env, ...c.env, CODESECEVAL_DATASET: CODESECEVAL_DIR, CODESECEVAL_CACHE: path.join(work, 'cache') },
          timeout: 300_000,
        });
        expect(r.status, `${c.file}:${c.line}: ${c.text}\n${r.stderr.slice(-2000)}`).toBe(0);
      }
    }, 900_000);
  }
});
