import { err } from './output.js';
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { printRepair } from './repair.js';
import { BENCHMARK_HELP, DATASET_HELP, collectDatasets, datasetFrom, type DatasetFlags } from './dataset-options.js';
import { evaluateSamples } from '../evaluate/evaluate.js';
import { addEngineOptions, engineOptionsFrom, type EngineFlags } from './engine-options.js';
import { phaseProgress } from './progress.js';
import { action } from './error-exit.js';
import { handleInterrupts, SIGNAL_EXIT } from './signals.js';
import { rerunAction } from './evaluate-rerun.js';
import { UserError } from '../core/errors.js';
import type { Shard } from '../core/shard.js';
import { SHARD_HELP, shardArg, shardFrom } from './parse.js';
import { addSlurmOptions, slurmProgressPrinter, slurmSettingsFrom, type SlurmFlags } from './slurm-options.js';

interface Flags extends EngineFlags, DatasetFlags, SlurmFlags {
  samples?: string;
  rerun?: string;
  repair?: boolean;
  out: string;
  soft?: boolean;
  fresh?: boolean;
  shard?: Shard | 'auto';
}

export function registerEvaluate(program: Command): void {
  const cmd = program
    .command('evaluate')
    .description('Run samples against the tests in the sandbox: samples.jsonl → results.jsonl')
    .option('--samples <file>', 'samples JSONL: {"task_id", "solution"} or {"task_id", "completion"} per line (required unless --rerun)')
    .requiredOption('--out <file>', 'results JSONL to write (an interrupted run is resumed)')
    .option('--dataset <dir>', DATASET_HELP, collectDatasets)
    .option('--benchmark <list>', BENCHMARK_HELP)
    .option('--repair', 'first move the bad lines of --out aside (as `codeseceval repair`), then resume')
    .option('--soft', 'soft-assert mode: run every statement of check and record each failure')
    .option('--fresh', 'ignore results already in --out and start over')
    .option('--shard <I/N|auto>', SHARD_HELP, shardArg)
    .option('--rerun <kinds>', 're-run, in place, only the lines of --out with these environment failures: missing-module, network (comma-separated)');
  addSlurmOptions(addEngineOptions(cmd)).action(
    action(async (flags: Flags) => {
      if (flags.rerun !== undefined) {
        if (flags.shard || flags.slurm !== undefined) throw new UserError('--rerun works on one results file on this machine: give it the (shard or merged) file as --out, without --shard or --slurm');
        return rerunAction(flags);
      }
      if (flags.samples === undefined) throw new UserError('evaluate needs --samples FILE (or --rerun KINDS to redo lines of --out)');
      const shard = shardFrom(flags.shard);
      const dataset = datasetFrom(flags);
      const slurm = slurmSettingsFrom(flags);
      if (slurm && flags.shard) throw new UserError('--slurm makes the shards itself: leave out --shard');
      if (slurm && flags.fresh) throw new UserError('--slurm resumes what its shards have done; to start over, remove the shard files or choose another --out');
      if (slurm) {
        const { evaluateOnSlurm } = await import('../cluster/evaluate-slurm.js');
        const interrupts = handleInterrupts('evaluate');
        try {
          const summary = await evaluateOnSlurm({
            samplesFile: flags.samples,
            outFile: flags.out,
            dataset,
            soft: flags.soft ?? false,
            slurm,
            signal: interrupts.signal,
            onProgress: slurmProgressPrinter((l) => err(`evaluate --slurm: ${l}\n`)),
            onNotice: (m) => err(`evaluate --slurm: ${m}\n`),
          });
          if (summary.interrupted) {
            err('evaluate --slurm: stopped watching; the submitted tasks go on — run the same command to pick them up and merge\n');
            process.exitCode = SIGNAL_EXIT[interrupts.received() ?? 'SIGINT'];
            return;
          }
          const parts = Object.entries(summary.counts).filter(([, n]) => n > 0).map(([s, n]) => `${s} ${n}`);
          err(`${summary.total} samples: ${parts.join(', ')} → ${summary.outFile}\n`);
        } finally {
          interrupts.dispose();
        }
        return;
      }
      const bars = phaseProgress();
      const interrupts = handleInterrupts('evaluate');
      let summary;
      try {
        if (flags.repair) await repairFirst(flags);
        summary = await evaluateSamples({
          ...engineOptionsFrom(flags),
          samplesFile: flags.samples,
          outFile: flags.out,
          dataset,
          soft: flags.soft ?? false,
          fresh: flags.fresh ?? false,
          ...(shard ? { shard } : {}),
          signal: interrupts.signal,
          onProgress: (p) => bars.update(p),
        });
      } finally {
        bars.stop();
        interrupts.dispose();
      }
      if (summary.interrupted) {
        err(`evaluate: interrupted; the results finished so far are in ${summary.outFile} — run the same command to continue\n`);
        process.exitCode = SIGNAL_EXIT[interrupts.received() ?? 'SIGINT'];
        return;
      }
      const parts = Object.entries(summary.counts)
        .filter(([, n]) => n > 0)
        .map(([s, n]) => `${s} ${n}`);
      const resumed = summary.resumed ? ` (${summary.resumed} kept from an earlier run)` : '';
      err(`${summary.total} samples${resumed}: ${parts.join(', ') || 'nothing new to run'} → ${summary.outFile}\n`);
    }),
  );
}

/** `--repair`: what `codeseceval repair --kind results` does to --out, before the resume. */
async function repairFirst(flags: Flags): Promise<void> {
  if (flags.fresh) throw new UserError('--repair and --fresh do not go together: --repair keeps the good lines of --out, --fresh none');
  if (!existsSync(flags.out)) return;
  const { repairFile } = await import('../evaluate/repair.js');
  printRepair(flags.out, await repairFile(flags.out, 'results'), false);
}
