import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Engine } from '../src/sandbox/engine.js';
import { ENGINE_PREFIX } from '../src/sandbox/stale.js';
import { taskJob } from '../src/benchmarks/index.js';
import { CHECK_RETURNS_ONE, makeTask } from './helpers/task.js';

const task = makeTask({ test: CHECK_RETURNS_ONE });

describe('cleaning up and labelling right', () => {
  it('the engine folder of an evaluation killed with SIGKILL is removed by the next engine', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/engine-child.ts'], { stdio: ['pipe', 'pipe', 'inherit'] });
    child.stdin.end(JSON.stringify({ test: CHECK_RETURNS_ONE, programs: ['import time\ntime.sleep(60)\n'], timeoutSec: 60 }));
    // Wait until its engine folder exists and its worker runs, then kill it outright. The folder
    // is found by the pid its owner file names: other test files' engines make folders too.
    const ownedByChild = (n: string) => {
      try {
        return n.startsWith(ENGINE_PREFIX) && readFileSync(path.join(os.tmpdir(), n, 'owner'), 'utf8').split(' ')[0] === String(child.pid);
      } catch {
        return false;
      }
    };
    let folder: string | undefined;
    for (let i = 0; i < 300 && !folder; i++) {
      await new Promise((r) => setTimeout(r, 100));
      folder = readdirSync(os.tmpdir()).find(ownedByChild);
    }
    expect(folder).toBeDefined();
    await new Promise((r) => setTimeout(r, 1500));
    const exited = new Promise((r) => child.on('exit', r));
    child.kill('SIGKILL');
    await exited;
    expect(existsSync(path.join(os.tmpdir(), folder!))).toBe(true);
    const e = new Engine({ jobs: 1 });
    e.close();
    expect(existsSync(path.join(os.tmpdir(), folder!))).toBe(false);
  });

  it('a lone surrogate in a solution is the sample\'s error, not the sandbox\'s', async () => {
    const e = new Engine({ jobs: 1 });
    try {
      const [bad, next] = await e.run([
        taskJob(task, 'def solve():\n    return "\uD800"\n'),
        taskJob(task, 'def solve():\n    return 1\n'),
      ]);
      expect(bad!.status).toBe('error');
      expect(bad!.detail).toBe('the program is not valid Unicode: a lone surrogate U+D800 at line 2');
      expect(next!.status).toBe('passed');
    } finally {
      e.close();
    }
  });
});
