import { err } from './output.js';
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { printRepair } from './repair.js';
import { BENCHMARK_HELP, DATASET_HELP, collectDatasets, datasetFrom, type DatasetFlags } from './dataset-options.js';
import { evaluateSamples } from '../evaluate/evaluate.js';
import { addEngineOptions, engineOptionsFrom, type EngineFlags } from './engine-options.js';
import { phaseProgress } from './progress.js';
import { action } from './run-action.js';
import { handleInterrupts, SIGNAL_EXIT } from './signals.js';
import { rerunAction } from './evaluate-rerun.js';
import { UserError } from '../core/errors.js';

interface Flags extends EngineFlags, DatasetFlags {
  samples?: string;
  rerun?: string;
  repair?: boolean;
  out: string;
  soft?: boolean;
  fresh?: boolean;
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
    .option('--rerun <kinds>', 're-run, in place, only the lines of --out with these environment failures: missing-module, network (comma-separated)');
  addEngineOptions(cmd).action(
    action(async (flags: Flags) => {
      if (flags.rerun !== undefined) return rerunAction(flags);
      if (flags.samples === undefined) throw new UserError('evaluate needs --samples FILE (or --rerun KINDS to redo lines of --out)');
      const dataset = datasetFrom(flags);
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
