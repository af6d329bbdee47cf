import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { packageFile } from './paths.js';

/**
 * A worker thread running the module `name` (without extension) beside the caller's module
 * `callerUrl` (its import.meta.url). From the sources (tests, tsx) a worker does not inherit
 * the parent's loader, so it starts through worker-boot.mjs, which registers tsx first; the
 * compiled package starts the `.js` file directly. `workerData.module` is taken.
 */
export function startModuleWorker(callerUrl: string, name: string, opts: WorkerOptions = {}): Worker {
  const here = fileURLToPath(callerUrl);
  if (!here.endsWith('.ts')) return new Worker(path.join(path.dirname(here), `${name}.js`), opts);
  const data = (opts.workerData ?? {}) as Record<string, unknown>;
  return new Worker(packageFile('io', 'worker-boot.mjs'), { ...opts, workerData: { ...data, module: new URL(`./${name}.ts`, callerUrl).href } });
}
