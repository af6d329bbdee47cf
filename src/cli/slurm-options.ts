import path from 'node:path';
import type { Command } from 'commander';
import type { SlurmProgress, SlurmSettings } from '../cluster/evaluate-slurm.js';
import { splitArgs } from '../cluster/slurm.js';
import { MAX_SHARDS } from '../core/shard.js';
import { UserError } from '../core/errors.js';
import type { DatasetFlags } from './dataset-options.js';
import type { EngineFlags } from './engine-options.js';
import { numberArg } from './parse.js';

export interface SlurmFlags {
  slurm?: number;
  sbatch?: string;
}

/** `--slurm N` and `--sbatch ARGS` of evaluate and run. */
export function addSlurmOptions(cmd: Command): Command {
  return cmd
    .option('--slurm <n>', 'evaluate as an N-task Slurm job array (sbatch), show its progress, resubmit failed shards, merge into --out', numberArg('--slurm', { integer: true, min: 1, max: MAX_SHARDS, what: `a whole number of shards from 1 to ${MAX_SHARDS}` }))
    .option('--sbatch <args>', 'with --slurm: extra sbatch arguments, e.g. "--partition=cpu --time=02:00:00 --account=lab"');
}

/**
 * What each array task runs: this same tool (the node binary, its flags and the CLI script,
 * so a checkout run through tsx works as well as an installed one), with the dataset and engine
 * flags of this command. Paths are made absolute: the task may start in another folder.
 */
export function slurmSettingsFrom(flags: SlurmFlags & DatasetFlags & EngineFlags): SlurmSettings | null {
  if (flags.slurm === undefined) {
    if (flags.sbatch !== undefined) throw new UserError('--sbatch goes with --slurm N');
    return null;
  }
  const forwarded: string[] = [];
  for (const d of flags.dataset ?? []) forwarded.push('--dataset', path.resolve(d));
  if (flags.benchmark !== undefined) forwarded.push('--benchmark', flags.benchmark);
  if (flags.jobs !== undefined) forwarded.push('--jobs', String(flags.jobs));
  forwarded.push('--timeout', String(flags.timeout), '--memory', String(flags.memory), '--sandbox', flags.sandbox);
  if (flags.python !== undefined) forwarded.push('--python', flags.python);
  return {
    shards: flags.slurm,
    sbatchArgs: splitArgs(flags.sbatch ?? ''),
    cli: [process.execPath, ...process.execArgv, path.resolve(process.argv[1] ?? 'codeseceval')],
    flags: forwarded,
  };
}

/** One line per change of the array's state, readable in a log as on a terminal. */
export function slurmProgressPrinter(print: (line: string) => void): (p: SlurmProgress) => void {
  let last = '';
  return (p) => {
    const line = `shards: ${p.pending} pending, ${p.running} running, ${p.done} done; samples ${p.samplesDone}/${p.samplesTotal} (job ${p.jobIds.join(', ')})`;
    if (line !== last) print(line);
    last = line;
  };
}
