import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeTempFolder, packageFile } from '../io/paths.js';
import { bwrapArgs, SANDBOX } from './bwrap.js';
import { OWN_PROCESS_GROUP, resolveInterpreter, type Interpreter } from './interpreter.js';
import type { RunnerJob } from './protocol.js';
import { SampleUids } from './uids.js';
import { sandboxError, Worker, type WorkerSpawn } from './worker.js';
import { InterruptedError, UserError } from '../core/errors.js';
import type { ExecJob, ExecResult, Executor, ExecutorInfo, FixtureSet } from '../core/exec.js';

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

/**
 * The smallest --memory accepted. The limit is the address space of each sample's process,
 * which starts as a fork of a runner that has already loaded Flask, lxml, cryptography and
 * friends (about 110 MiB); below this, samples fail for lack of memory whatever they do.
 */
export const MIN_MEMORY_MB = 256;

export const ENGINE_DEFAULTS = { timeoutSec: 10, memoryMb: 2048, fileSizeMb: 64, maxProcs: 64 } as const;

export function defaultJobs(): number {
  return Math.max(2, os.availableParallelism() * 2);
}

/**
 * Runs candidate programs against task tests in a pool of sandboxed Python runners.
 * Results come back in job order; a sample that kills or wedges its runner costs only that
 * sample, and the runner is replaced.
 */
export class Engine implements Executor {
  private readonly workers: (Worker | undefined)[];
  private readonly root: string;
  private readonly fixturesHost: string;
  private readonly binHost: string;
  private readonly staged = new Set<string>();
  private readonly privileged: boolean;
  /** Unprivileged uids samples run as (one per worker, when run as root). */
  private readonly uids = new SampleUids();
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
    if (!Number.isInteger(this.options.memoryMb) || this.options.memoryMb < MIN_MEMORY_MB) {
      throw new UserError(`--memory ${this.options.memoryMb} is too small: at least ${MIN_MEMORY_MB} MiB (the sandbox's runner alone needs about 110)`);
    }
    this.interpreter = resolveInterpreter(opts.python);
    if (this.options.sandbox === 'bwrap') checkBwrap();
    else opts.onWarning?.('--sandbox none: candidate code runs UNSANDBOXED with your user\'s rights (files, network, processes)');
    this.privileged = this.options.sandbox === 'bwrap' && process.getuid?.() === 0;
    this.root = makeTempFolder('codeseceval-engine-', 'the sandbox');
    chmodSync(this.root, 0o700);
    process.on('exit', this.onExit);
    this.fixturesHost = path.join(this.root, 'fixtures');
    mkdirSync(this.fixturesHost, { mode: 0o700 });
    this.binHost = makeBinDir(path.join(this.root, 'bin'), this.interpreter.path);
    this.workers = new Array(this.options.jobs).fill(undefined);
  }

  get info(): ExecutorInfo {
    const o = this.options;
    return {
      backend: o.sandbox,
      interpreter: { path: this.interpreter.path, version: this.interpreter.version },
      timeoutSec: o.timeoutSec,
      memoryMb: o.memoryMb,
      fileSizeMb: o.fileSizeMb,
      maxProcs: o.maxProcs,
      jobs: o.jobs,
    };
  }

  /**
   * Runs every job; `onResult` fires as each finishes (in completion order). Aborting `signal`
   * kills the workers at once: the jobs they were running get no verdict (a sample cut short
   * by our own shutdown is not a result) and the promise rejects with InterruptedError.
   */
  async run(
    jobs: readonly ExecJob[],
    onResult?: (index: number, result: ExecResult) => void,
    signal?: AbortSignal,
  ): Promise<ExecResult[]> {
    if (this.closed) throw new Error('engine is closed');
    // A Ctrl-C that came while the caller blocked the event loop (an interpreter probe) is
    // handled in the loop's next turn: give it that turn before starting any worker.
    if (signal) await new Promise((resolve) => setImmediate(resolve));
    if (signal?.aborted) throw new InterruptedError();
    for (const job of jobs) if (job.fixtures) this.stage(job.fixtures);
    const results: ExecResult[] = new Array(jobs.length);
    let next = 0;
    const lanes = Math.min(this.options.jobs, jobs.length);
    const stopped = () => signal?.aborted === true;
    const onAbort = () => {
      for (const w of this.workers) w?.kill();
    };
    signal?.addEventListener('abort', onAbort);
    const lane = async () => {
      for (;;) {
        if (stopped()) return;
        const i = next++;
        if (i >= jobs.length) return;
        // Workers are shared by every call in flight (a strategy may run programs from many
        // samples at once), so each job borrows a free one.
        const slot = await this.acquireSlot();
        if (stopped()) {
          this.releaseSlot(slot);
          return;
        }
        let result: ExecResult;
        try {
          result = await this.runOn(slot, jobs[i]!);
        } finally {
          this.releaseSlot(slot);
        }
        if (stopped()) return;
        results[i] = result;
        onResult?.(i, result);
      }
    };
    try {
      await Promise.all(Array.from({ length: lanes }, () => lane()));
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    if (stopped()) throw new InterruptedError();
    return results;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.workers) w?.kill();
    this.uids.release();
    rmSync(this.root, { recursive: true, force: true });
    process.off('exit', this.onExit);
  }

  private readonly freeSlots: number[] = [];
  private readonly slotWaiters: ((slot: number) => void)[] = [];
  private slotsMade = 0;

  private acquireSlot(): Promise<number> {
    const free = this.freeSlots.pop();
    if (free !== undefined) return Promise.resolve(free);
    if (this.slotsMade < this.options.jobs) return Promise.resolve(this.slotsMade++);
    return new Promise((resolve) => this.slotWaiters.push(resolve));
  }

  private releaseSlot(slot: number): void {
    const waiter = this.slotWaiters.shift();
    if (waiter) waiter(slot);
    else this.freeSlots.push(slot);
  }

  /** A process that exits (a second Ctrl-C, an uncaught error) still removes its temporary folder. */
  private readonly onExit = (): void => this.close();

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
      test: job.test,
      ...harnessFields(job),
      fixtures: job.fixtures ? path.join(inSandbox ? SANDBOX.fixtures : this.fixturesHost, job.fixtures.id) : null,
      fixture_name: job.fixtureName,
      timeout,
      memory_mb: this.options.memoryMb,
      file_size_mb: this.options.fileSizeMb,
      max_procs: this.options.maxProcs,
      uid: this.privileged ? this.uids.uidFor(slot) : null,
      workspace_root: inSandbox ? SANDBOX.workspace : this.workspaceHost(slot),
      soft: job.soft ?? false,
    };
    return worker.run(runnerJob);
  }

  private async workerFor(slot: number): Promise<Worker> {
    const existing = this.workers[slot];
    if (existing?.alive) return existing;
    // A runner started after close() would be nobody's to stop, and keep the process alive.
    if (this.closed) throw new Error('engine is closed');
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
        graceful: true,
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

  /** Write a fixture set once into the engine's private staging area, named by its content hash. */
  private stage(fixtures: FixtureSet): void {
    if (this.staged.has(fixtures.id)) return;
    const root = path.join(this.fixturesHost, fixtures.id);
    for (const f of fixtures.files) {
      const target = path.join(root, f.path);
      // Paths come from the benchmark's own folder walk, but a job is a trust boundary.
      if (!target.startsWith(root + path.sep)) throw new Error(`fixture path escapes its folder: ${f.path}`);
      mkdirSync(path.dirname(target), { recursive: true });
      writeFileSync(target, f.data);
    }
    mkdirSync(root, { recursive: true });
    this.staged.add(fixtures.id);
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
    execFileSync('bwrap', ['--version'], { stdio: 'ignore', ...OWN_PROCESS_GROUP });
  } catch {
    throw new UserError(
      'bubblewrap (bwrap) is not installed: `apt-get install bubblewrap`, or pass --sandbox none to run UNSANDBOXED (see `codeseceval doctor`)',
    );
  }
  bwrapChecked = true;
}

/** How the runner calls the test: `check(entry_point)`, or the test file against the module. */
function harnessFields(job: ExecJob): Pick<RunnerJob, 'entry_point'> & Partial<RunnerJob> {
  if (job.harness !== 'test-file') return { entry_point: job.entryPoint };
  return { entry_point: job.module, harness: 'test-file', framework: job.framework, module: job.module, test_file: job.testFile };
}
