import type { Benchmark, SampleCode } from '../core/benchmark.js';
import type { ExecJob } from '../core/exec.js';
import type { Task } from '../core/task.js';
import { readFixtureSet } from './fixtures.js';

/** What both of today's benchmarks share: fixture folders on disk and HumanEval-style assembly. */
export const sharedBehaviour: Pick<Benchmark, 'fixtures' | 'program' | 'job'> = {
  fixtures(task: Task) {
    return task.fixtureDir ? readFixtureSet(task.fixtureDir) : null;
  },
  program(task: Task, sample: SampleCode): string {
    return sample.solution ?? task.problem + (sample.completion ?? '');
  },
  job(task: Task, program: string, opts: { timeoutSec?: number | undefined; soft?: boolean } = {}): ExecJob {
    return {
      program,
      test: task.test,
      entryPoint: task.entryPoint,
      fixtureName: task.fixtureName,
      fixtures: this.fixtures(task),
      ...(opts.timeoutSec !== undefined ? { timeoutSec: opts.timeoutSec } : {}),
      ...(opts.soft ? { soft: true } : {}),
    };
  },
};
