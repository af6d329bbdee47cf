import type { ExecJob, ExecResult, Executor } from '../core/exec.js';

/**
 * One program at a time from many concurrent samples, onto an executor whose `run` must not
 * be called again before the previous call settles (the local engine hands out worker slots
 * per call, so two overlapping calls would share a worker). Jobs that arrive while a batch
 * runs wait and go together as the next batch, so the executor's parallelism is still used.
 * Each job's promise settles as soon as its own result is in.
 */
export function batchingRunner(executor: Executor): (job: ExecJob) => Promise<ExecResult> {
  let queue: { job: ExecJob; resolve: (r: ExecResult) => void; reject: (e: unknown) => void }[] = [];
  let busy = false;
  const pump = async (): Promise<void> => {
    if (busy || !queue.length) return;
    busy = true;
    const batch = queue;
    queue = [];
    try {
      const results = await executor.run(
        batch.map((b) => b.job),
        (i, r) => batch[i]!.resolve(r),
      );
      // Promises already settled by onResult ignore a second resolve.
      results.forEach((r, i) => batch[i]!.resolve(r));
    } catch (e) {
      for (const b of batch) b.reject(e);
    } finally {
      busy = false;
      void pump();
    }
  };
  return (job) =>
    new Promise<ExecResult>((resolve, reject) => {
      queue.push({ job, resolve, reject });
      void pump();
    });
}
