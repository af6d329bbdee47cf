import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { BoundedLines } from './lines.js';
import { ReadyLine, RunnerResult, type RunnerJob } from './protocol.js';
import type { ExecResult } from '../core/exec.js';

export interface WorkerSpawn {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  /**
   * Stop with SIGTERM first, so the runner kills the sample's own process group: needed when
   * no PID namespace holds the sample (`--sandbox none`). Under bwrap, SIGKILL to bwrap takes
   * the whole namespace with it at once.
   */
  graceful?: boolean;
  /** A file handed to the process as descriptor 3 (bwrap reads its seccomp program there). */
  fd3File?: string;
}

/** Extra time the runner gets beyond a job's own timeout before it counts as wedged. */
const WATCHDOG_GRACE_MS = 10_000;
const READY_TIMEOUT_MS = 120_000;
const STDERR_KEEP = 4000;
/** The longest protocol line accepted: a result holds capped tails and at most a few thousand test cases. */
export const MAX_PROTOCOL_LINE = 8 * 1024 * 1024;
/** How long a runner asked to stop gets to kill its sample before it is killed itself. */
const KILL_GRACE_MS = 1000;

interface Pending {
  id: number;
  resolve: (r: ExecResult) => void;
  timer: NodeJS.Timeout;
  started: number;
}

/**
 * One long-lived Python runner. It runs one job at a time; if the runner dies or stops
 * answering, the job in flight gets a verdict of its own and the worker reports itself dead
 * so the pool can start a fresh one.
 */
export class Worker {
  private proc: ChildProcessWithoutNullStreams | undefined;
  private pending: Pending | undefined;
  private stderrTail = '';
  private dead = false;
  preloaded: string[] = [];

  constructor(
    readonly index: number,
    private readonly spec: WorkerSpawn,
  ) {}

  get alive(): boolean {
    return !this.dead && this.proc !== undefined;
  }

  /** Start the runner and wait until it has imported its modules. */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      // Its own process group: a terminal's Ctrl-C reaches only the tool, which stops the
      // workers itself rather than have them die mid-sample and look like a verdict.
      // Opened per start: bwrap reads the descriptor to its end, so it cannot be shared.
      const fd3 = this.spec.fd3File !== undefined ? openSync(this.spec.fd3File, 'r') : undefined;
      let proc: ChildProcessWithoutNullStreams;
      try {
        proc = spawn(this.spec.command, this.spec.args, {
          env: this.spec.env,
          cwd: this.spec.cwd,
          stdio: fd3 === undefined ? 'pipe' : ['pipe', 'pipe', 'pipe', fd3],
          detached: true,
        }) as ChildProcessWithoutNullStreams;
      } finally {
        if (fd3 !== undefined) closeSync(fd3);
      }
      this.proc = proc;
      let ready = false;
      const fail = (why: string) => {
        if (ready) return;
        ready = true;
        this.dead = true;
        clearTimeout(timer);
        proc.kill('SIGKILL');
        reject(new Error(`sandbox worker did not start: ${why}${this.stderrTail ? ` — ${lastLine(this.stderrTail)}` : ''}`));
      };
      const timer = setTimeout(() => fail('no answer within 120 s'), READY_TIMEOUT_MS);
      proc.stderr.setEncoding('utf8');
      proc.stderr.on('data', (chunk: string) => {
        this.stderrTail = (this.stderrTail + chunk).slice(-STDERR_KEEP);
      });
      proc.stdin.on('error', () => {
        /* the runner died; 'exit' reports it */
      });
      const lines = new BoundedLines(
        MAX_PROTOCOL_LINE,
        (line) => onLine(line),
        (bytes) => {
          if (!ready) return fail(`first line longer than ${MAX_PROTOCOL_LINE} bytes`);
          this.settle(sandboxError(`runner sent a line longer than ${MAX_PROTOCOL_LINE} bytes (${bytes} so far); the runner was replaced`));
          this.kill();
        },
      );
      proc.stdout.on('data', (chunk: Buffer) => lines.push(chunk));
      const onLine = (line: string) => {
        if (!ready) {
          const parsed = safeJson(line);
          const r = ReadyLine.safeParse(parsed);
          if (!r.success) return fail(`unexpected first line: ${line.slice(0, 200)}`);
          ready = true;
          clearTimeout(timer);
          this.preloaded = r.data.preloaded;
          resolve();
          return;
        }
        this.onLine(line);
      };
      proc.on('error', (e) => fail(e.message));
      proc.on('exit', (code, signal) => {
        this.dead = true;
        if (!ready) return fail(`exited with ${signal ?? `status ${code}`}`);
        this.settle({
          status: 'killed',
          detail: `the sample brought down its runner (${signal ?? `status ${code}`}); the runner was replaced`,
          durationMs: this.pending ? Date.now() - this.pending.started : 0,
          stdoutTail: '',
          stderrTail: this.stderrTail.slice(-2000),
        });
      });
    });
  }

  /** Run one job; always resolves with a verdict. */
  run(job: RunnerJob): Promise<ExecResult> {
    return new Promise((resolve) => {
      if (!this.alive || !this.proc) {
        resolve(sandboxError('sandbox worker is not running'));
        return;
      }
      const timer = setTimeout(() => {
        this.settle({
          status: 'timeout',
          detail: `no verdict within ${job.timeout} s (runner unresponsive; replaced)`,
          durationMs: job.timeout * 1000 + WATCHDOG_GRACE_MS,
          stdoutTail: '',
          stderrTail: '',
        });
        this.kill();
      }, job.timeout * 1000 + WATCHDOG_GRACE_MS);
      this.pending = { id: job.id, resolve, timer, started: Date.now() };
      this.proc.stdin.write(`${JSON.stringify(job)}\n`);
    });
  }

  kill(): void {
    this.dead = true;
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    // SIGTERM first: the runner then kills the sample in flight and what it started, which
    // SIGKILL would orphan when no PID namespace holds them (--sandbox none). A runner too
    // wedged to do so is killed anyway.
    if (!this.spec.graceful) {
      proc.kill('SIGKILL');
      return;
    }
    proc.kill('SIGTERM');
    setTimeout(() => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    }, KILL_GRACE_MS).unref();
  }

  private onLine(line: string): void {
    const parsed = RunnerResult.safeParse(safeJson(line));
    if (!parsed.success || !this.pending || parsed.data.id !== this.pending.id) {
      // Not a verdict for the job in flight: the runner is confused; start over.
      this.settle(sandboxError(`runner sent an unexpected line: ${line.slice(0, 200)}`));
      this.kill();
      return;
    }
    const r = parsed.data;
    // Dead before the verdict is handed on, so the pool never gives this runner another job.
    if (r.retire) this.kill();
    this.settle({
      status: r.status,
      detail: r.detail,
      durationMs: r.duration_ms,
      stdoutTail: r.stdout_tail,
      stderrTail: r.stderr_tail,
      ...(r.soft ? { soft: r.soft } : {}),
      ...(r.missing_module !== undefined ? { missingModule: r.missing_module } : {}),
      ...(r.network !== undefined ? { network: r.network } : {}),
      ...(r.cases ? { cases: r.cases } : {}),
    });
  }

  private settle(result: ExecResult): void {
    const p = this.pending;
    if (!p) return;
    this.pending = undefined;
    clearTimeout(p.timer);
    p.resolve(result);
  }
}

export function sandboxError(detail: string): ExecResult {
  return { status: 'sandbox-error', detail, durationMs: 0, stdoutTail: '', stderrTail: '' };
}

function safeJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop() ?? '';
}
