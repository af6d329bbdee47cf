import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { readJsonFileSync } from '../io/jsonl.js';
import { cacheDir } from '../io/paths.js';
import { writeFileAtomicSync } from '../io/write.js';
import type { Executor } from '../core/exec.js';
import type { Task } from '../core/task.js';
import { taskJob } from '../benchmarks/index.js';

/** How a per-task limit is derived from the Secure Code's measured runtime. */
export const AUTO_TIMEOUT = { floorSec: 5, factor: 4, ceilingSec: 120, calibrationSec: 60 } as const;

const Cache = z.record(z.string(), z.number().nonnegative());

export function autoLimitSec(runtimeMs: number): number {
  const sec = Math.ceil((runtimeMs / 1000) * AUTO_TIMEOUT.factor);
  return Math.min(AUTO_TIMEOUT.ceilingSec, Math.max(AUTO_TIMEOUT.floorSec, sec));
}

/** The cache is per dataset content and per machine (CPU, cores, interpreter). */
function cacheFile(tasks: readonly Task[], engine: Executor): string {
  const h = createHash('sha256');
  for (const t of tasks) h.update(`${t.id}\0${t.secureCode || (t.insecureCode ?? '')}\0${t.test}\0`);
  const cpu = os.cpus()[0]?.model ?? 'cpu';
  h.update(`${os.hostname()}\0${cpu}\0${os.availableParallelism()}\0${engine.info.interpreter.path}\0${engine.info.interpreter.version}`);
  return path.join(cacheDir(), 'timeouts', `${h.digest('hex').slice(0, 24)}.json`);
}

/**
 * Per-task wall-clock limits for `--timeout auto`: max(5 s, 4 × the Secure Code's runtime, or
 * the insecure reference's where there is no secure one),
 * measured once with this engine and cached. Slow machines get proportionally longer limits
 * instead of failing good code.
 */
export async function autoTimeouts(
  tasks: readonly Task[],
  engine: Executor,
  onProgress?: (done: number, total: number) => void,
  signal?: AbortSignal,
): Promise<Map<string, number>> {
  const unique = [...new Map(tasks.map((t) => [t.id, t])).values()];
  const file = cacheFile(unique, engine);
  let known: Record<string, number> = {};
  try {
    known = readJsonFileSync(file, Cache);
  } catch {
    // No cache yet, or a damaged one: measure again.
  }
  const missing = unique.filter((t) => known[t.id] === undefined);
  if (missing.length) {
    let done = 0;
    const results = await engine.run(
      // SALLM has no secure reference: its published module is timed instead.
      missing.map((task) => taskJob(task, task.secureCode || (task.insecureCode ?? ''), { timeoutSec: AUTO_TIMEOUT.calibrationSec })),
      () => onProgress?.(++done, missing.length),
      signal,
    );
    missing.forEach((t, i) => {
      known[t.id] = results[i]!.durationMs;
    });
    // The references ran in the executor's processes; no candidate may run in one of them
    // (or in a process forked from one that read them).
    engine.recycle?.();
    writeFileAtomicSync(file, JSON.stringify(known, null, 1), { mkdir: true });
  }
  return new Map(unique.map((t) => [t.id, autoLimitSec(known[t.id]!)]));
}
