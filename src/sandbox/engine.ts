import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Task } from '../dataset/types.js';
import { UserError } from '../util/errors.js';
import { packageFile } from '../util/paths.js';
import { bwrapArgs, SANDBOX } from './bwrap.js';
import { resolveInterpreter, type Interpreter } from './interpreter.js';
import type { RunnerJob } from './protocol.js';
import type { ExecResult } from './types.js';
import { sandboxError, Worker, type WorkerSpawn } from './worker.js';

export type SandboxMode = 'bwrap' | 'none';

export interface EngineOptions {
  /** Interpreter path; default per resolveInterpreter(). */
  python?: string;
  /** Samples run at once (one runner each). Default: twice the cores, since many samples sleep or wait. */
  jobs?: number;
  /** Default per-sample wall-clock limit in seconds (10). Jobs may carry their own. */
  timeoutSec?: number;
  memoryMb?: number;
  fileSizeMb?: number;
  maxProcs?: number;
  sandbox?: SandboxMode;
  /** Called when `sandbox: 'none'` is used, so the CLI can warn. */
  onWarning?: (message: string) => void;
}

export interface ExecJob {
  task: Task;
  /** The complete candidate program; the engine runs the task's Test and check(entry point) after it. */
  program: string;
  timeoutSec?: number;
  /** Soft-assert mode: every statement of check runs, failures are listed. */
  soft?: boolean;
}

export const ENGINE_DEFAULTS = { timeoutSec: 10, memoryMb: 2048, fileSizeMb: 64, maxProcs: 64 } as const;
/** First uid of the unprivileged users samples run as (one per worker, when run as root). */
const SAMPLE_UID_BASE = 61000;

export function defaultJobs(): number {
  return Math.max(2, os.availableParallelism() * 2);
}

/**
 * Runs candidate programs against task tests in a pool of sandboxed Python runners.
 * Results come back in job order; a sample that kills or wedges its runner costs only that
 * sample, and the runner is replaced.
 */
export class Engine {
  private readonly workers: (Worker | undefined)[];
  private readonly root: string;
  private readonly fixturesHost: string;
  private readonly binHost: string;
  private readonly staged = new Set<string>();
  private readonly privileged: boolean;
  private nextJobId = 0;
  private closed = false;
  readonly interpreter: Interpreter;
  readonly options: Required<Omit<EngineOptions, 'python' | 'onWarning'>>;

  constructor(opts: EngineOptions = {}) {
    this.options = {
      jobs: opts.jobs ?? defaultJobs(),
      timeoutSec: opts.timeoutSec ?? ENGINE_DEFAULTS.timeoutSec,
      memoryMb: opts.memoryMb ?? ENGINE_DEFAULTS.memoryMb,
      fileSizeMb: opts.fileSizeMb ?? ENGINE_DEFAULTS.fileSizeMb,
      maxProcs: opts.maxProcs ?? ENGINE_DEFAULTS.maxProcs,
      sandbox: opts.sandbox ?? 'bwrap',
    };
    this.interpreter = resolveInterpreter(opts.python);
    if (this.options.sandbox === 'bwrap') checkBwrap();
    else opts.onWarning?.('--sandbox none: candidate code runs UNSANDBOXED with your user\'s rights (files, network, processes)');
    this.privileged = this.options.sandbox === 'bwrap' && process.getuid?.() === 0;
    this.root = mkdtempSync(path.join(os.tmpdir(), 'codeseceval-engine-'));
    chmodSync(this.root, 0o700);
    this.fixturesHost = path.join(this.root, 'fixtures');
    mkdirSync(this.fixturesHost, { mode: 0o700 });
    this.binHost = makeBinDir(path.join(this.root, 'bin'), this.interpreter.path);
    this.workers = new Array(this.options.jobs).fill(undefined);
  }

  /** Runs every job; `onResult` fires as each finishes (in completion order). */
  async run(jobs: readonly ExecJob[], onResult?: (index: number, result: ExecResult) => void): Promise<ExecResult[]> {
    if (this.closed) throw new Error('engine is closed');
    for (const job of jobs) this.stage(job.task);
    const results: ExecResult[] = new Array(jobs.length);
    let next = 0;
    const lanes = Math.min(this.options.jobs, jobs.length);
    const lane = async (slot: number) => {
      for (;;) {
        const i = next++;
        if (i >= jobs.length) return;
        const result = await this.runOn(slot, jobs[i]!);
        results[i] = result;
        onResult?.(i, result);
      }
    };
    await Promise.all(Array.from({ length: lanes }, (_, slot) => lane(slot)));
    return results;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.workers) w?.kill();
    rmSync(this.root, { recursive: true, force: true });
  }

  private async runOn(slot: number, job: ExecJob): Promise<ExecResult> {
    let worker: Worker;
    try {
      worker = await this.workerFor(slot);
    } catch (e) {
      return sandboxError((e as Error).message);
    }
    const timeout = job.timeoutSec ?? this.options.timeoutSec;
    const inSandbox = this.options.sandbox === 'bwrap';
    const runnerJob: RunnerJob = {
      id: this.nextJobId++,
      program: job.program,
      test: job.task.test,
      entry_point: job.task.entryPoint,
      fixtures: job.task.fixtureDir
        ? path.join(inSandbox ? SANDBOX.fixtures : this.fixturesHost, job.task.fixtureName)
        : null,
      fixture_name: job.task.fixtureName,
      timeout,
      memory_mb: this.options.memoryMb,
      file_size_mb: this.options.fileSizeMb,
      max_procs: this.options.maxProcs,
      uid: this.privileged ? SAMPLE_UID_BASE + slot : null,
      workspace_root: inSandbox ? SANDBOX.workspace : this.workspaceHost(slot),
      soft: job.soft ?? false,
    };
    return worker.run(runnerJob);
  }

  private async workerFor(slot: number): Promise<Worker> {
    const existing = this.workers[slot];
    if (existing?.alive) return existing;
    const worker = new Worker(slot, this.spawnSpec(slot));
    this.workers[slot] = worker;
    await worker.start();
    return worker;
  }

  private workspaceHost(slot: number): string {
    const dir = path.join(this.root, `w${slot}`);
    // A replaced runner starts from an empty workspace, whatever its predecessor left.
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    return dir;
  }

  private spawnSpec(slot: number): WorkerSpawn {
    const runnerHost = packageFile('sandbox', 'python');
    const workspaceHost = this.workspaceHost(slot);
    if (this.options.sandbox === 'none') {
      return {
        command: this.interpreter.path,
        args: ['-s', path.join(runnerHost, 'runner.py')],
        env: {
          PATH: `${this.binHost}:${process.env.PATH ?? '/usr/bin:/bin'}`,
          LANG: 'C.UTF-8',
          HOME: workspaceHost,
          PYTHONDONTWRITEBYTECODE: '1',
          CODESECEVAL_SHIMS: path.join(runnerHost, 'shims'),
        },
        cwd: workspaceHost,
      };
    }
    const args = bwrapArgs({
      interpreter: this.interpreter,
      workspaceHost,
      fixturesHost: this.fixturesHost,
      runnerHost,
      binHost: this.binHost,
      privileged: this.privileged,
    });
    return {
      command: 'bwrap',
      args: [...args, this.interpreter.path, '-s', `${SANDBOX.runner}/runner.py`],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      cwd: this.root,
    };
  }

  /** Copy a task's fixtures once into the engine's private staging area. */
  private stage(task: Task): void {
    if (!task.fixtureDir || this.staged.has(task.fixtureName)) return;
    cpSync(task.fixtureDir, path.join(this.fixturesHost, task.fixtureName), { recursive: true, dereference: true });
    this.staged.add(task.fixtureName);
  }
}

/**
 * `python` and `python3` inside the sandbox name the evaluation interpreter: several tests
 * run `python some_file.py`, and Debian has no `python` command.
 */
function makeBinDir(dir: string, interpreter: string): string {
  mkdirSync(dir, { mode: 0o755 });
  for (const name of ['python', 'python3']) symlinkSync(interpreter, path.join(dir, name));
  return dir;
}

let bwrapChecked = false;
function checkBwrap(): void {
  if (bwrapChecked) return;
  try {
    execFileSync('bwrap', ['--version'], { stdio: 'ignore' });
  } catch {
    throw new UserError(
      'bubblewrap (bwrap) is not installed: `apt-get install bubblewrap`, or pass --sandbox none to run UNSANDBOXED (see `codeseceval doctor`)',
    );
  }
  bwrapChecked = true;
}

export function hasFixtures(task: Task): boolean {
  return task.fixtureDir !== null && existsSync(task.fixtureDir);
}
