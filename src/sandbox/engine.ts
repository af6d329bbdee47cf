import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeTempFolder, packageFile } from '../io/paths.js';
import { bwrapArgs, cgroupInSandbox, SANDBOX } from './bwrap.js';
import { noUserNamespacesFilter } from './seccomp.js';
import { claimEngineFolder, ENGINE_PREFIX, removeStaleEngineFolders } from './stale.js';
import { detectCgroups, SampleCgroups, type CgroupSupport } from './cgroups.js';
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
  /** Size of each writable filesystem a sample gets (its workspace, /tmp, /dev/shm), in MiB. */
  diskMb?: number;
  maxProcs?: number;
  sandbox?: SandboxMode;
  /** Called when `sandbox: 'none'` is used or samples cannot be bounded as a whole, so the CLI can warn. */
  onWarning?: (message: string) => void;
  /** Where to look for cgroups (tests); default: detected under /sys/fs/cgroup. */
  cgroups?: CgroupSupport;
  /**
   * Modules (dotted names, standard library included) each runner imports before it forks
   * samples: the samples' benchmarks' own lists (`preloadFor`). Default: the runner's list
   * for all built-in benchmarks. Only start-up time and speed depend on it.
   */
  preload?: readonly string[];
}

/** Read by the runner's zygote (zygote.py). */
const PRELOAD_ENV = 'CODESECEVAL_PRELOAD';
const MODULE_NAME = /^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*$/;

/**
 * The smallest --memory accepted. The limit is the address space of each sample's process,
 * which starts as a fork of a runner that has already loaded Flask, lxml, cryptography and
 * friends (about 110 MiB); below this, samples fail for lack of memory whatever they do.
 */
export const MIN_MEMORY_MB = 256;

export const ENGINE_DEFAULTS = { timeoutSec: 10, memoryMb: 2048, fileSizeMb: 64, diskMb: 512, maxProcs: 64 } as const;

/** The smallest --disk accepted: the task's fixtures are copied into it. */
export const MIN_DISK_MB = 16;

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
  /** The seccomp program every sandbox loads (no nested user namespaces), or undefined. */
  private readonly seccompFile: string | undefined;
  private readonly staged = new Set<string>();
  private readonly privileged: boolean;
  /** Unprivileged uids samples run as (one per worker, when run as root). */
  private readonly uids = new SampleUids();
  private nextJobId = 0;
  private closed = false;
  readonly interpreter: Interpreter;
  readonly options: Required<Omit<EngineOptions, 'python' | 'onWarning' | 'cgroups' | 'preload'>>;
  /** The runner's $CODESECEVAL_PRELOAD, or undefined for its default list. */
  private readonly preload: string | undefined;
  private readonly cgroups: SampleCgroups | undefined;

  constructor(opts: EngineOptions = {}) {
    this.options = {
      jobs: opts.jobs ?? defaultJobs(),
      timeoutSec: opts.timeoutSec ?? ENGINE_DEFAULTS.timeoutSec,
      memoryMb: opts.memoryMb ?? ENGINE_DEFAULTS.memoryMb,
      fileSizeMb: opts.fileSizeMb ?? ENGINE_DEFAULTS.fileSizeMb,
      diskMb: opts.diskMb ?? ENGINE_DEFAULTS.diskMb,
      maxProcs: opts.maxProcs ?? ENGINE_DEFAULTS.maxProcs,
      sandbox: opts.sandbox ?? 'bwrap',
    };
    if (!Number.isInteger(this.options.memoryMb) || this.options.memoryMb < MIN_MEMORY_MB) {
      throw new UserError(`--memory ${this.options.memoryMb} is too small: at least ${MIN_MEMORY_MB} MiB (the sandbox's runner alone needs about 110)`);
    }
    if (!Number.isInteger(this.options.diskMb) || this.options.diskMb < MIN_DISK_MB) {
      throw new UserError(`--disk ${this.options.diskMb} is too small: at least ${MIN_DISK_MB} MiB`);
    }
    const badModule = opts.preload?.find((m) => !MODULE_NAME.test(m));
    if (badModule !== undefined) throw new Error(`preload: not a module name: ${JSON.stringify(badModule)}`);
    this.preload = opts.preload?.join(',');
    this.interpreter = resolveInterpreter(opts.python);
    if (this.options.sandbox === 'bwrap') checkBwrap();
    else opts.onWarning?.('--sandbox none: candidate code runs UNSANDBOXED with your user\'s rights (files, network, processes), and only per-process limits bound it');
    this.privileged = this.options.sandbox === 'bwrap' && process.getuid?.() === 0;
    this.cgroups = this.makeCgroups(opts);
    removeStaleEngineFolders(os.tmpdir());
    this.root = makeTempFolder(ENGINE_PREFIX, 'the sandbox');
    chmodSync(this.root, 0o700);
    claimEngineFolder(this.root);
    process.on('exit', this.onExit);
    this.fixturesHost = path.join(this.root, 'fixtures');
    mkdirSync(this.fixturesHost, { mode: 0o700 });
    this.binHost = makeBinDir(path.join(this.root, 'bin'), this.interpreter.path);
    this.seccompFile = this.options.sandbox === 'bwrap' ? writeSeccompFilter(this.root, opts.onWarning) : undefined;
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
      // Without the sandbox a sample writes wherever the user can: nothing bounds it.
      ...(o.sandbox === 'bwrap' ? { diskMb: o.diskMb } : {}),
      maxProcs: o.maxProcs,
      ...(this.cgroups ? { cgroup: this.cgroups.version } : {}),
      jobs: o.jobs,
    };
  }

  private makeCgroups(opts: EngineOptions): SampleCgroups | undefined {
    if (!this.privileged) {
      // --sandbox none has its own, louder warning, which says no limit holds a sample.
      if (this.options.sandbox === 'bwrap') opts.onWarning?.('samples are not bounded as a whole: that needs root (cgroups); --memory and the process limit apply to each process');
      return undefined;
    }
    const support = opts.cgroups ?? detectCgroups();
    if (!support.available) {
      opts.onWarning?.(`samples are not bounded as a whole: ${support.reason}; --memory and the process limit apply to each process`);
      return undefined;
    }
    try {
      return new SampleCgroups(support, { memoryMb: this.options.memoryMb, maxProcs: this.options.maxProcs });
    } catch (e) {
      opts.onWarning?.(`samples are not bounded as a whole: cannot make cgroups (${(e as Error).message}); --memory and the process limit apply to each process`);
      return undefined;
    }
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

  /**
   * Stop every runner, so later jobs start fresh ones: a runner's memory holds what it read
   * (the programs of earlier jobs), and every sample is forked from it. Called after the
   * references are timed for `--timeout auto`, so no candidate runs where they were.
   */
  recycle(): void {
    for (let i = 0; i < this.workers.length; i++) {
      this.workers[i]?.kill();
      this.workers[i] = undefined;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.workers) w?.kill();
    this.uids.release();
    this.cgroups?.remove();
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
    const bad = loneSurrogate(job.program);
    if (bad) return { status: 'error', detail: `the program is not valid Unicode: ${bad}`, durationMs: 0, stdoutTail: '', stderrTail: '' };
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
      cgroups: this.cgroups ? this.cgroups.forSlot(slot).map((_, i) => cgroupInSandbox(i)) : [],
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
    if (this.options.sandbox === 'none') {
      const workspaceHost = this.workspaceHost(slot);
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
          ...(this.preload !== undefined ? { [PRELOAD_ENV]: this.preload } : {}),
        },
        cwd: workspaceHost,
      };
    }
    const args = bwrapArgs({
      interpreter: this.interpreter,
      diskMb: this.options.diskMb,
      fixturesHost: this.fixturesHost,
      runnerHost,
      binHost: this.binHost,
      privileged: this.privileged,
      ...(this.seccompFile ? { seccompFd: 3 } : {}),
      ...(this.cgroups ? { cgroups: this.cgroups.forSlot(slot) } : {}),
      ...(this.preload !== undefined ? { env: { [PRELOAD_ENV]: this.preload } } : {}),
    });
    return {
      command: 'bwrap',
      args: [...args, this.interpreter.path, '-s', `${SANDBOX.runner}/runner.py`],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      cwd: this.root,
      ...(this.seccompFile ? { fd3File: this.seccompFile } : {}),
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
 * Where a program holds half of a UTF-16 surrogate pair (JSON allows it, UTF-8 and Python
 * source do not): a flaw of the sample, which cannot be written out as a file to run.
 */
export function loneSurrogate(program: string): string | null {
  const m = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.exec(program);
  if (!m) return null;
  const line = program.slice(0, m.index).split('\n').length;
  return `a lone surrogate U+${m[0].charCodeAt(0).toString(16).toUpperCase()} at line ${line}`;
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

function writeSeccompFilter(root: string, onWarning?: (m: string) => void): string | undefined {
  const filter = noUserNamespacesFilter();
  if (!filter) {
    onWarning?.(`samples may create user namespaces: no seccomp filter for ${process.arch}`);
    return undefined;
  }
  const file = path.join(root, 'seccomp.bpf');
  writeFileSync(file, filter, { mode: 0o600 });
  return file;
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
