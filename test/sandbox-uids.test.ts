import { afterAll, describe, expect, it } from 'vitest';
import { Engine } from '../src/sandbox/engine.js';
import { CHECK_RETURNS_ONE, candidate, makeTask } from './helpers/task.js';
import { taskJob } from '../src/benchmarks/index.js';

// Samples drop to their own uids only when the engine runs as root; otherwise every sample
// runs as the calling user and there is no per-engine uid to keep apart.
const asRoot = process.getuid?.() === 0;

describe.skipIf(!asRoot)('engines running at the same time (as root)', () => {
  const bombing = new Engine({ jobs: 1, timeoutSec: 6, memoryMb: 512 });
  const other = new Engine({ jobs: 1, timeoutSec: 20 });
  afterAll(() => {
    bombing.close();
    other.close();
  });

  it("do not share a process budget: a fork bomb in one leaves fork() working in the other", async () => {
    const task = makeTask({ test: CHECK_RETURNS_ONE });
    const bomb = 'import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass';
    // Spawns a process again and again while the bomb holds its uid's whole process budget.
    const spawner = 'import subprocess, time\nend = time.time() + 4\nwhile time.time() < end:\n    subprocess.check_output(["python", "-c", "pass"])';
    await other.run([taskJob(task, candidate('pass'))]); // workers up before the bomb starts
    const bombed = bombing.run([taskJob(task, candidate(bomb))]);
    await new Promise((r) => setTimeout(r, 1000));
    const [r] = await other.run([taskJob(task, candidate(spawner))]);
    await bombed;
    expect(r!.detail).toBe('');
    expect(r!.status).toBe('passed');
  });
});
