import { readFileSync, statfsSync } from 'node:fs';
import os from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { Engine } from '../src/sandbox/engine.js';
import { detectCgroups } from '../src/sandbox/cgroups.js';
import { taskJob } from '../src/benchmarks/index.js';
import { CHECK_RETURNS_ONE, candidate, makeTask } from './helpers/task.js';

// Whole-sample limits: a sample's processes, threads and scratch files share one budget,
// however many processes it forks. They need root (cgroups); CI runs as root and must have
// them, a developer's machine without root skips.

const support = detectCgroups();
const required = process.env.CI === 'true';
const describeCgroups = support.available || required ? describe : describe.skip;

const task = makeTask({ test: CHECK_RETURNS_ONE });
const engines: Engine[] = [];
afterAll(() => {
  for (const e of engines) e.close();
});

function memAvailableBytes(): number {
  const m = /MemAvailable:\s+(\d+) kB/.exec(readFileSync('/proc/meminfo', 'utf8'));
  return Number(m![1]) * 1024;
}

/** Runs `work` while sampling `measure` every 20 ms; the largest fall below the starting value. */
async function largestFall<T>(measure: () => number, work: () => Promise<T>): Promise<{ result: T; fall: number }> {
  const start = measure();
  let lowest = start;
  const timer = setInterval(() => {
    lowest = Math.min(lowest, measure());
  }, 20);
  try {
    const result = await work();
    return { result, fall: start - lowest };
  } finally {
    clearInterval(timer);
  }
}

const MiB = 1024 * 1024;

describeCgroups('each sample is bounded as a whole (cgroups)', () => {
  it('is available here', () => {
    expect(support, 'CI runs as root on a machine with cgroups').toMatchObject({ available: true });
  });

  it('a sample whose forked children each fill memory raises used memory by at most --memory', async () => {
    const memoryMb = 1024;
    const e = new Engine({ jobs: 1, memoryMb, timeoutSec: 30 });
    engines.push(e);
    expect(e.info.cgroup).toBe(support.available ? support.version : undefined);
    // 8 children × 400 MiB = 3.2 GiB if nothing bounded the whole tree.
    const forkAndFill = candidate(
      'import os, time\nkids = []\nfor _ in range(8):\n    pid = os.fork()\n    if pid == 0:\n' +
        '        x = bytearray(400 << 20)\n        for j in range(0, len(x), 4096):\n            x[j] = 1\n        time.sleep(3)\n        os._exit(0)\n' +
        '    kids.append(pid)\nfor k in kids:\n    assert os.waitpid(k, 0)[1] == 0, "a child was killed"',
    );
    const { result, fall } = await largestFall(memAvailableBytes, () => e.run([taskJob(task, forkAndFill), taskJob(task, candidate(''))]));
    const [filled, next] = result;
    expect(filled!.status, filled!.detail).toBe('resource');
    expect(filled!.detail).toMatch(/memory limit of the whole sample reached \(1024 MiB/);
    expect(next!.status).toBe('passed');
    // The margin covers the runner's own pages and whatever else this machine does meanwhile.
    expect(fall / MiB).toBeLessThan(memoryMb + 1024);
  });

  it('a fork bomb ends as a resource verdict naming the process limit', async () => {
    const e = new Engine({ jobs: 1, memoryMb: 512, timeoutSec: 10 });
    engines.push(e);
    const bomb = candidate('import os, time\nwhile True:\n    os.fork()\n');
    const [r, next] = await e.run([taskJob(task, bomb), taskJob(task, candidate(''))]);
    expect(r!.status, r!.detail).toBe('resource');
    expect(r!.detail).toMatch(/process limit of the whole sample reached \(64 processes/);
    expect(next!.status).toBe('passed');
  });
});

describe('a file-filling sample stays off the host disk', () => {
  it('host disk falls by at most --disk (here: not at all, the scratch space is in memory)', async () => {
    const e = new Engine({ jobs: 1, memoryMb: 1024, diskMb: 256, timeoutSec: 30 });
    engines.push(e);
    // 100 files of 30 MiB: 3 GiB if nothing bounded the total.
    const fill = candidate(
      'import errno\nn = 0\ntry:\n    for i in range(100):\n        for where in ("/tmp/f%d" % i, "f%d" % i):\n            with open(where, "wb") as f:\n                f.write(b"x" * (30 << 20))\n            n += 1\n' +
        'except OSError as e:\n    assert e.errno == errno.ENOSPC, e\nassert n < 20, n',
    );
    const free = () => {
      const s = statfsSync(os.tmpdir());
      return s.bavail * s.bsize;
    };
    const { result, fall } = await largestFall(free, () => e.run([taskJob(task, fill)]));
    expect(result[0]!.status, result[0]!.detail + result[0]!.stderrTail).toBe('passed');
    expect(fall / MiB).toBeLessThan(256 + 64);
  });
});
