import { err } from './output.js';
import { Option, type Command } from 'commander';
import { ENGINE_DEFAULTS, MIN_DISK_MB, MIN_MEMORY_MB, type EngineOptions, type SandboxMode } from '../sandbox/engine.js';
import { numberArg, positiveInt, timeoutArg } from './parse.js';

/** The execution flags shared by `evaluate`, `dataset validate` and `run`. */
export function addEngineOptions(cmd: Command): Command {
  return cmd
    .option('--jobs <n>', 'samples run at once (default: 2 × CPU cores)', positiveInt('--jobs'))
    .option('--timeout <sec|auto>', 'per-sample wall-clock limit in seconds, or "auto" (from each task\'s Secure Code runtime)', timeoutArg, 10)
    .option(
      '--memory <mb>',
      `per-sample memory limit in MiB (at least ${MIN_MEMORY_MB}: the runner's preloaded libraries take about 110 MiB of it)`,
      numberArg('--memory', { integer: true, min: MIN_MEMORY_MB, what: `a whole number of MiB, at least ${MIN_MEMORY_MB} (the sandbox's runner alone needs about 110)` }),
      2048,
    )
    .option(
      '--disk <mb>',
      'size of each writable filesystem a sample gets (its working folder, /tmp, /dev/shm), in MiB; in memory, never on the host\'s disk',
      numberArg('--disk', { integer: true, min: MIN_DISK_MB, what: `a whole number of MiB, at least ${MIN_DISK_MB}` }),
      ENGINE_DEFAULTS.diskMb,
    )
    .addOption(new Option('--sandbox <mode>', 'isolation: bwrap, or none (UNSAFE, explicit opt-in)').choices(['bwrap', 'none']).default('bwrap'))
    .option('--python <path>', 'Python interpreter (default: $CODESECEVAL_PYTHON, else /usr/bin/python3)');
}

export interface EngineFlags {
  jobs?: number;
  timeout: number | 'auto';
  memory: number;
  disk: number;
  sandbox: SandboxMode;
  python?: string;
}

export function engineOptionsFrom(flags: EngineFlags): EngineOptions & { timeout: number | 'auto' } {
  const timeout = flags.timeout;
  return {
    ...(flags.jobs !== undefined ? { jobs: flags.jobs } : {}),
    ...(flags.python !== undefined ? { python: flags.python } : {}),
    memoryMb: flags.memory,
    diskMb: flags.disk,
    sandbox: flags.sandbox,
    timeout,
    ...(typeof timeout === 'number' ? { timeoutSec: timeout } : {}),
    onWarning: (m) => err(`codeseceval: WARNING: ${m}\n`),
  };
}
