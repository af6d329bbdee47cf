import { describe, expect, it } from 'vitest';
import { MAX_PROTOCOL_LINE, Worker } from '../src/sandbox/worker.js';
import type { RunnerJob } from '../src/sandbox/protocol.js';

// A runner channel that sends a line without end (here a stand-in runner; in the wild a
// sample that reached the channel) costs one sandbox-error, not the evaluation.

const READY = JSON.stringify({ ready: true, preloaded: [], python: '3' });
const FLOOD = [
  'import sys',
  `sys.stdout.write(${JSON.stringify(READY)} + "\\n"); sys.stdout.flush()`,
  'sys.stdin.readline()',
  `chunk = "x" * (1 << 20)`,
  `for _ in range(${(MAX_PROTOCOL_LINE >> 20) * 3}):`,
  '    sys.stdout.write(chunk)',
  'sys.stdout.flush()',
  'sys.stdin.readline()',
].join('\n');

const job: RunnerJob = {
  id: 0, program: '', test: '', entry_point: 'f', fixtures: null, fixture_name: 'x', timeout: 30,
  memory_mb: 512, file_size_mb: 64, max_procs: 64, uid: null, workspace_root: '/tmp', soft: false,
};

describe('the worker bounds the runner channel', () => {
  it(`a line over ${MAX_PROTOCOL_LINE >> 20} MiB is a sandbox-error and the runner is replaced`, async () => {
    const w = new Worker(0, { command: 'python3', args: ['-c', FLOOD], env: { PATH: process.env.PATH }, cwd: '/tmp' });
    await w.start();
    const r = await w.run(job);
    expect(r.status).toBe('sandbox-error');
    expect(r.detail).toMatch(/line longer than \d+ bytes/);
    expect(w.alive).toBe(false);
    const after = await w.run(job);
    expect(after.status).toBe('sandbox-error');
  });
});
