import { spawnSync } from 'node:child_process';
import { UserError } from '../core/errors.js';

/**
 * The few Slurm commands the driver needs, each run as a child process with a bounded wait.
 * Nothing here knows about shards or files: it submits an array and reads its tasks' states.
 */

export type TaskState = 'pending' | 'running' | 'finishing' | 'other';

function run(cmd: string, args: readonly string[], timeoutMs = 60_000): { ok: boolean; out: string; err: string; missing: boolean } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'] });
  const missing = (r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
  return { ok: !r.error && r.status === 0, out: r.stdout ?? '', err: (r.stderr ?? '').trim() || (r.error?.message ?? ''), missing };
}

/** One line when this machine cannot submit Slurm jobs. */
export function requireSbatch(): void {
  const r = run('sbatch', ['--version'], 20_000);
  if (r.missing) throw new UserError('--slurm: sbatch is not on PATH, so this machine cannot submit Slurm jobs; run on a Slurm login node, or run the shards yourself with --shard I/N (docs/cluster.md)');
  if (!r.ok) throw new UserError(`--slurm: sbatch --version failed: ${r.err.split('\n')[0]}`);
}

/**
 * `--sbatch "ARGS"`: split like a shell would split plain words and quotes, without running a
 * shell (no variables, globs or command substitution: the text is passed to sbatch as words).
 */
export function splitArgs(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let have = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && (text[i + 1] === '"' || text[i + 1] === '\\')) cur += text[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      have = true;
    } else if (/\s/.test(c)) {
      if (have) out.push(cur);
      cur = '';
      have = false;
    } else if (c === '\\' && i + 1 < text.length) {
      cur += text[++i];
      have = true;
    } else {
      cur += c;
      have = true;
    }
  }
  if (quote) throw new UserError(`--sbatch: unmatched ${quote} in "${text}"`);
  if (have) out.push(cur);
  return out;
}

/** `sbatch --parsable --array=LIST ARGS SCRIPT` → the array's job ID. */
export function submitArray(script: string, indices: readonly number[], extra: readonly string[], env: Record<string, string>): string {
  const args = ['--parsable', `--array=${indices.join(',')}`, ...extra, script];
  const r = spawnSync('sbatch', args, { encoding: 'utf8', timeout: 120_000, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.error || r.status !== 0) {
    throw new UserError(`--slurm: sbatch refused the job array: ${((r.stderr ?? '').trim() || r.error?.message || `exit ${r.status}`).split('\n')[0]}`);
  }
  // --parsable prints "JOBID" or "JOBID;CLUSTER".
  const id = r.stdout.trim().split(';')[0]!;
  if (!/^\d+$/.test(id)) throw new UserError(`--slurm: sbatch answered "${r.stdout.trim()}", not a job ID`);
  return id;
}

/**
 * The state of every array task of these jobs that Slurm still knows, by `JOBID_INDEX`. A task
 * that has left the queue is absent: the shard files, not Slurm (whose accounting may be off),
 * say whether it finished.
 */
export function arrayTaskStates(jobIds: readonly string[]): Map<string, TaskState> {
  const states = new Map<string, TaskState>();
  if (!jobIds.length) return states;
  // -r: one line per array element, also for pending ones (otherwise shown as JOBID_[0-3]).
  let r = run('squeue', ['-h', '-r', '-j', jobIds.join(','), '-o', '%i %t']);
  if (!r.ok) {
    // squeue fails for job IDs it has already forgotten: ask about each, skipping those.
    const lines: string[] = [];
    for (const id of jobIds) {
      r = run('squeue', ['-h', '-r', '-j', id, '-o', '%i %t']);
      if (r.ok) lines.push(r.out);
      else if (!/Invalid job id/i.test(r.err)) throw new UserError(`--slurm: squeue failed: ${r.err.split('\n')[0]}`);
    }
    r = { ok: true, out: lines.join('\n'), err: '', missing: false };
  }
  for (const line of r.out.split('\n')) {
    const [task, state] = line.trim().split(/\s+/);
    if (!task || !state) continue;
    states.set(task, state === 'PD' ? 'pending' : state === 'R' ? 'running' : state === 'CG' ? 'finishing' : 'other');
  }
  return states;
}

export function cancelJobs(jobIds: readonly string[]): void {
  if (jobIds.length) run('scancel', [...jobIds]);
}
