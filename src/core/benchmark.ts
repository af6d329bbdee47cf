import type { ExecJob, FixtureSet } from './exec.js';
import type { Dataset, DatasetKind, Subset, Task } from './task.js';

/** What a sample gives to run: a complete program, or text that continues the task's Problem. */
export interface SampleCode {
  solution?: string | undefined;
  completion?: string | undefined;
}

/**
 * A benchmark: how its tasks load, which fixtures they need, and how a sample and its test
 * become a job. Stages see only this; adding a benchmark is one folder under src/benchmarks/
 * and one registry entry.
 */
export interface Benchmark {
  readonly kind: DatasetKind;
  /** The subsets its tasks carry: how a task finds the benchmark it came from. */
  readonly subsets: readonly Subset[];
  /** One line for help texts: what the benchmark is and where its data comes from. */
  readonly description: string;
  /** Whether the file or folder at `location` (absolute, existing) is in this benchmark's layout. */
  recognises(location: string): boolean;
  /** Load and check every record; bad data is a DatasetError naming file, record and field. */
  load(location: string): Dataset;
  /** The task's fixture files as content, or null when it has none. */
  fixtures(task: Task): FixtureSet | null;
  /** The complete program a sample stands for (a `solution` as it is; a `completion` after the Problem). */
  program(task: Task, sample: SampleCode): string;
  /** The job that runs `program` against the task's test. */
  job(task: Task, program: string, opts?: { timeoutSec?: number | undefined; soft?: boolean }): ExecJob;
}
