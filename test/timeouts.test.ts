import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../src/sandbox/engine.js';
import { autoLimitSec, autoTimeouts } from '../src/evaluate/timeouts.js';
import { makeTask } from './helpers/task.js';

const cache = mkdtempSync(path.join(os.tmpdir(), 'codeseceval-cache-'));
beforeAll(() => {
  process.env.CODESECEVAL_CACHE = cache;
});
afterAll(() => {
  delete process.env.CODESECEVAL_CACHE;
  rmSync(cache, { recursive: true, force: true });
});

describe('--timeout auto', () => {
  it('is max(5 s, 4 × the Secure Code runtime), capped', () => {
    expect(autoLimitSec(100)).toBe(5);
    expect(autoLimitSec(2000)).toBe(8);
    expect(autoLimitSec(10 * 60 * 1000)).toBe(120);
  });

  it('measures each task once per machine and reuses the cached runtimes', async () => {
    const slow = makeTask({
      id: 'T/slow',
      fixtureName: 'T_slow',
      secureCode: 'import time\ndef solve():\n    time.sleep(1.6)\n    return 1\n',
      test: 'def check(candidate):\n    assert candidate() == 1\n',
    });
    const fast = makeTask({ id: 'T/fast', fixtureName: 'T_fast', test: 'def check(candidate):\n    assert candidate() == 1\n' });
    const engine = new Engine({ jobs: 2 });
    const limits = await autoTimeouts([slow, fast], engine);
    engine.close();
    expect(limits.get('T/fast')).toBe(5);
    expect(limits.get('T/slow')).toBeGreaterThanOrEqual(7);
    expect(readdirSync(path.join(cache, 'timeouts'))).toHaveLength(1);

    // A closed engine cannot run anything: the second call must come from the cache.
    const closed = new Engine({ jobs: 1 });
    closed.close();
    expect(existsSync(path.join(cache, 'timeouts'))).toBe(true);
    expect(await autoTimeouts([slow, fast], closed)).toEqual(limits);
  });
});
