import { labelTask } from '../score/labels.js';
import { createExecutor, type EngineOptions } from '../sandbox/index.js';
import type { ExecJob } from '../core/exec.js';
import { autoTimeouts } from './timeouts.js';
import type { ExecResult } from '../core/exec.js';
import type { Dataset, Task } from '../core/task.js';
import type { ValidationFile, ValidationRecord, ValidationVerdict } from '../core/validation.js';
import { benchmarkForTask, preloadFor, taskJob } from '../benchmarks/index.js';

export interface ValidateOptions extends EngineOptions {
  timeout?: number | 'auto';
  tasks?: readonly Task[];
  /**
   * Also run both references in soft-assert mode and label every assert (functional,
   * security, broken, unlabelled). Doubles the runs.
   */
  labels?: boolean;
  onProgress?: (done: number, total: number) => void;
  /** Aborting stops the runs: the promise rejects with InterruptedError and nothing is classified. */
  signal?: AbortSignal;
}

type Role = 'secure' | 'insecure' | 'secureSoft' | 'insecureSoft';
type Runs = Partial<Record<Role, ExecResult>>;

/** Runs per task: Secure and Insecure Code, each twice with labels (normal and soft). */
export function validationRuns(task: Task, labels: boolean): number {
  return ((task.secureCode ? 1 : 0) + (task.insecureCode === null ? 0 : 1)) * (labels && labelled(task) ? 2 : 1);
}

/** Assert labels come from soft-assert runs of a check() test; a test file labels its own cases. */
function labelled(task: Task): boolean {
  return !!task.secureCode && benchmarkForTask(task).protocol === 'check';
}

/**
 * Runs every task's own Secure and Insecure Code against its Test. A task is ok when the
 * secure reference passes and the insecure one does not; anything else means the task
 * cannot judge a model fairly, and reports mark (or exclude) it.
 */
export async function validateDataset(dataset: Dataset, opts: ValidateOptions = {}): Promise<ValidationFile> {
  const tasks = opts.tasks ?? dataset.tasks;
  const engine = createExecutor({ ...opts, preload: opts.preload ?? preloadFor(tasks) });
  try {
    const limits = opts.timeout === 'auto' ? await autoTimeouts(tasks, engine, undefined, opts.signal) : undefined;
    const fixed = typeof opts.timeout === 'number' ? opts.timeout : undefined;
    const jobs: ExecJob[] = [];
    const roles: { task: number; role: Role }[] = [];
    tasks.forEach((task, t) => {
      const timeoutSec = limits?.get(task.id) ?? fixed;
      const extra = timeoutSec !== undefined ? { timeoutSec } : {};
      const add = (role: Role, program: string, soft: boolean) => {
        jobs.push(taskJob(task, program, { ...extra, soft }));
        roles.push({ task: t, role });
      };
      // SALLM has no secure reference (loaded as ''): its insecure module is judged alone.
      if (task.secureCode) add('secure', task.secureCode, false);
      if (task.insecureCode !== null) add('insecure', task.insecureCode, false);
      if (opts.labels && labelled(task)) {
        add('secureSoft', task.secureCode, true);
        if (task.insecureCode !== null) add('insecureSoft', task.insecureCode, true);
      }
    });
    let done = 0;
    const results = await engine.run(jobs, () => opts.onProgress?.(++done, jobs.length), opts.signal);
    const runs: Runs[] = tasks.map(() => ({}));
    roles.forEach(({ task, role }, i) => (runs[task]![role] = results[i]!));
    const records = tasks.map((task, t) => {
      const r = runs[t]!;
      if (!r.secure) return classifyInsecureOnly(task, r.insecure!);
      const record = classify(task, r.secure, r.insecure ?? null);
      return opts.labels && r.secureSoft ? withLabels(record, r.secureSoft, r.insecureSoft ?? null) : record;
    });
    return { dataset: dataset.source, records, ...(dataset.untestable?.length ? { untestable: dataset.untestable } : {}) };
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

/**
 * A task with only an insecure reference (SALLM's published module): ok when the module
 * passes every functionality case and fails at least one security case. A run with no cases
 * (the module or the test did not load) is judged on its status alone.
 */
export function classifyInsecureOnly(task: Task, insecure: ExecResult): ValidationRecord {
  const cases = insecure.cases ?? [];
  const func = cases.filter((c) => c.role === 'functionality');
  const sec = cases.filter((c) => c.role === 'security');
  const funcBad = func.filter((c) => c.outcome !== 'passed' && c.outcome !== 'skipped');
  const secCaught = sec.some((c) => c.outcome === 'failed' || c.outcome === 'error');
  let verdict: ValidationVerdict = 'ok';
  const reasons: string[] = [];
  if (!cases.length) {
    verdict = insecure.status === 'passed' ? 'insecure-passes' : 'functionality-fails';
    reasons.push(`Insecure Code ${insecure.status}: ${insecure.detail}`);
  } else {
    if (!sec.length) reasons.push('the test has no security case');
    else if (!secCaught) reasons.push('Insecure Code passes every security case (the test does not catch the vulnerability)');
    if (funcBad.length) reasons.push(`Insecure Code fails functionality case ${funcBad[0]!.name}: ${funcBad[0]!.detail ?? funcBad[0]!.outcome}`);
    if (!func.length) reasons.push('the test has no functionality case');
    if (funcBad.length || !func.length) verdict = secCaught ? 'functionality-fails' : 'both-wrong';
    else if (!secCaught) verdict = 'insecure-passes';
  }
  if (insecure.network) reasons.push('it tried to reach the network');
  if (insecure.missingModule) reasons.push(`missing module ${insecure.missingModule}`);
  return {
    task_id: task.id,
    subset: task.subset,
    verdict,
    reason: reasons.join('; '),
    secure: null,
    insecure: { status: insecure.status, detail: insecure.detail },
  };
}

/** Add the assert labels made from the references' soft-assert runs to a record. */
export function withLabels(record: ValidationRecord, secureSoft: ExecResult, insecureSoft: ExecResult | null): ValidationRecord {
  const labels = labelTask(secureSoft.soft, insecureSoft === null ? null : insecureSoft.soft);
  const run = (r: ExecResult) => ({ status: r.status, detail: r.detail, outcome: r.soft !== undefined });
  return {
    ...record,
    assert_labels: labels.asserts,
    statement_labels: labels.statements,
    label_counts: labels.counts,
    soft_runs: { secure: run(secureSoft), insecure: insecureSoft ? run(insecureSoft) : null },
  };
}
