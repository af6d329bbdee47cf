import type { Executor } from '../core/exec.js';
import { Engine, type EngineOptions, type SandboxMode } from './engine.js';

/**
 * The execution backends. Both run the same Python runner in a pool of long-lived workers;
 * they differ in isolation. A remote backend would be one more entry: jobs carry content
 * (program, test, fixture files), never host paths.
 */
export interface ExecutorEntry {
  name: SandboxMode;
  description: string;
  create(opts: Omit<EngineOptions, 'sandbox'>): Executor;
}

export const EXECUTORS: readonly ExecutorEntry[] = [
  {
    name: 'bwrap',
    description: 'bubblewrap sandbox: no network, private /tmp, read-only system, its own PID namespace (default)',
    create: (opts) => new Engine({ ...opts, sandbox: 'bwrap' }),
  },
  {
    name: 'none',
    description: 'no isolation: candidate code runs with your rights (for machines without bubblewrap)',
    create: (opts) => new Engine({ ...opts, sandbox: 'none' }),
  },
];

export function createExecutor(opts: EngineOptions = {}): Executor {
  const name = opts.sandbox ?? 'bwrap';
  const entry = EXECUTORS.find((e) => e.name === name);
  if (!entry) throw new Error(`no executor "${name}"`);
  return entry.create(opts);
}

export { defaultJobs, ENGINE_DEFAULTS, type EngineOptions, type SandboxMode } from './engine.js';
