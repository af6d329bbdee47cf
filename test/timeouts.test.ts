import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../src/sandbox/engine.js';
import { autoLimitSec, autoTimeouts } from '../src/evaluate/timeouts.js';
import { makeTask } from './helpers/task.js';
import { taskJob as taskJobFor } from '../src/benchmarks/index.js';

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

describe('--timeout auto keeps reference code out of reach', () => {
  it('no candidate runs in a process that read the Secure Code it timed', async () => {
    // The marker is built at run time in the scanner, so its own source never holds it.
    const marker = 'REFERENCE_ONLY_' + 'x7q9z';
    const tasks = [1, 2, 3].map((i) =>
      makeTask({
        id: `T/ref${i}`,
        fixtureName: `T_ref${i}`,
        secureCode: `SECRET = "${marker}${i}" * 50\ndef solve():\n    return 1\n`,
        test: 'def check(candidate):\n    assert candidate() == 1\n',
      }),
    );
    const scan = [
      'import re',
      'needle = re.compile(re.escape("".join(["REFERENCE_", "ONLY_", "x7q9z"]).encode()) + b"[123]")',
      'found = 0',
      'with open("/proc/self/maps") as maps, open("/proc/self/mem", "rb", 0) as mem:',
      '    for line in maps:',
      '        start, end = (int(x, 16) for x in line.split()[0].split("-"))',
      '        if "r" not in line.split()[1] or end - start > (512 << 20):',
      '            continue',
      '        try:',
      '            mem.seek(start)',
      '            found += len(needle.findall(mem.read(end - start)))',
      '        except (OSError, ValueError, OverflowError):',
      '            pass',
      'def solve():',
      '    return 1 if found == 0 else found + 100',
    ].join('\n');
    const engine = new Engine({ jobs: 1, memoryMb: 1024 });
    try {
      await autoTimeouts(tasks, engine);
      const [r] = await engine.run([{ ...taskJobFor(tasks[0]!, scan) }]);
      expect(r!.status, r!.detail).toBe('passed');
    } finally {
      engine.close();
    }
  });
});
