import type { Dataset, Task } from '../dataset/types.js';
import type { ValidationFile, ValidationRecord, ValidationVerdict } from '../score/validation.js';
import { Engine, type EngineOptions, type ExecJob } from '../sandbox/engine.js';
import { autoTimeouts } from '../sandbox/timeouts.js';
import type { ExecResult } from '../sandbox/types.js';

export interface ValidateOptions extends EngineOptions {
  timeout?: number | 'auto';
  tasks?: readonly Task[];
  onProgress?: (done: number, total: number) => void;
}

/**
 * Runs every task's own Secure and Insecure Code against its Test. A task is ok when the
 * secure reference passes and the insecure one does not; anything else means the task
 * cannot judge a model fairly, and reports mark (or exclude) it.
 */
export async function validateDataset(dataset: Dataset, opts: ValidateOptions = {}): Promise<ValidationFile> {
  const tasks = opts.tasks ?? dataset.tasks;
  const engine = new Engine(opts);
  try {
    const limits = opts.timeout === 'auto' ? await autoTimeouts(tasks, engine) : undefined;
    const fixed = typeof opts.timeout === 'number' ? opts.timeout : undefined;
    const jobs: ExecJob[] = [];
    for (const task of tasks) {
      const timeoutSec = limits?.get(task.id) ?? fixed;
      const extra = timeoutSec !== undefined ? { timeoutSec } : {};
      jobs.push({ task, program: task.secureCode, ...extra });
      if (task.insecureCode !== null) jobs.push({ task, program: task.insecureCode, ...extra });
    }
    let done = 0;
    const results = await engine.run(jobs, () => opts.onProgress?.(++done, jobs.length));
    const byTask = new Map<string, { secure?: ExecResult; insecure?: ExecResult }>();
    jobs.forEach((job, i) => {
      const entry = byTask.get(job.task.id) ?? {};
      if (job.program === job.task.secureCode && !entry.secure) entry.secure = results[i]!;
      else entry.insecure = results[i]!;
      byTask.set(job.task.id, entry);
    });
    const records = tasks.map((task) => classify(task, byTask.get(task.id)!.secure!, byTask.get(task.id)!.insecure ?? null));
    return { dataset: dataset.source, records };
  } finally {
    engine.close();
  }
}

export function classify(task: Task, secure: ExecResult, insecure: ExecResult | null): ValidationRecord {
  const securePasses = secure.status === 'passed';
  const insecurePasses = insecure?.status === 'passed';
  let verdict: ValidationVerdict;
  if (securePasses && !insecurePasses) verdict = 'ok';
  else if (!securePasses && !insecurePasses) verdict = 'secure-fails';
  else if (securePasses) verdict = 'insecure-passes';
  else verdict = 'both-wrong';
  const reasons: string[] = [];
  if (!securePasses) reasons.push(`Secure Code ${secure.status}: ${secure.detail}`);
  if (insecurePasses) reasons.push('Insecure Code passes the test (the test does not catch the vulnerability)');
  return {
    task_id: task.id,
    subset: task.subset,
    verdict,
    reason: reasons.join('; '),
    secure: { status: secure.status, detail: secure.detail },
    insecure: insecure ? { status: insecure.status, detail: insecure.detail } : null,
  };
}
