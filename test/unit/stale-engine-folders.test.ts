import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { claimEngineFolder, ENGINE_PREFIX, removeStaleEngineFolders } from '../../src/sandbox/stale.js';

let tmp: string;
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe('engine folders left by a killed evaluation', () => {
  it('are removed when their owner is gone, and only then', () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'stale-test-'));
    const dead = path.join(tmp, `${ENGINE_PREFIX}dead`);
    mkdirSync(path.join(dead, 'fixtures'), { recursive: true });
    writeFileSync(path.join(dead, 'owner'), `${deadPid()} 1\n`);
    const mine = path.join(tmp, `${ENGINE_PREFIX}mine`);
    mkdirSync(mine);
    claimEngineFolder(mine);
    const reused = path.join(tmp, `${ENGINE_PREFIX}reused`);
    mkdirSync(reused);
    writeFileSync(path.join(reused, 'owner'), `${process.pid} 1\n`); // our pid, another start time
    const noOwner = path.join(tmp, `${ENGINE_PREFIX}unknown`);
    mkdirSync(noOwner);
    const elsewhere = path.join(tmp, 'target');
    mkdirSync(elsewhere);
    writeFileSync(path.join(elsewhere, 'owner'), `${deadPid()} 1\n`);
    const link = path.join(tmp, `${ENGINE_PREFIX}link`);
    symlinkSync(elsewhere, link);
    const other = path.join(tmp, 'codeseceval-cache-x');
    mkdirSync(other);

    expect(removeStaleEngineFolders(tmp)).toBe(2);
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(reused)).toBe(false);
    for (const kept of [mine, noOwner, link, elsewhere, other]) expect(existsSync(kept)).toBe(true);
  });
});
