// Runs programs through a real Engine in this process and prints their verdicts as JSON:
// tests start it as another (unprivileged) user to exercise the sandbox without root.
import { readFileSync } from 'node:fs';
import { Engine } from '../../src/sandbox/engine.js';
import { taskJob } from '../../src/benchmarks/index.js';
import { makeTask } from './task.js';

interface Input {
  test: string;
  programs: string[];
  jobs?: number;
  timeoutSec?: number;
}

const input = JSON.parse(readFileSync(0, 'utf8')) as Input;
const warnings: string[] = [];
const engine = new Engine({ jobs: input.jobs ?? 1, timeoutSec: input.timeoutSec ?? 10, memoryMb: 512, onWarning: (m) => warnings.push(m) });
try {
  const task = makeTask({ test: input.test });
  const results = await engine.run(input.programs.map((p) => taskJob(task, p)));
  process.stdout.write(JSON.stringify({ uid: process.getuid?.(), info: engine.info, warnings, results }));
} finally {
  engine.close();
}
