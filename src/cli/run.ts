import { err, out } from './output.js';
import path from 'node:path';
import type { Command } from 'commander';
import { datasetFrom } from './dataset-options.js';
import { addEngineOptions, engineOptionsFrom, type EngineFlags } from './engine-options.js';
import { addGenerationOptions, experimentsFrom, generationOptionsFrom, MODEL_HELP, type GenerationFlags } from './options.js';
import { createProgress, phaseProgress, progressReporter, type Progress } from './progress.js';
import { kListArg } from './parse.js';
import { action } from './error-exit.js';
import { handleInterrupts, SIGNAL_EXIT } from './signals.js';
import { addSlurmOptions, slurmProgressPrinter, slurmSettingsFrom, type SlurmFlags } from './slurm-options.js';
import { UserError } from '../core/errors.js';

interface RunFlags extends EngineFlags, GenerationFlags, SlurmFlags {
  model: string[];
  out?: string;
  k?: number[];
  excludeBroken?: boolean;
  split?: boolean;
  analyze?: boolean;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** Exit codes: 0 done, 1 bad input, 2 unexpected failure, 3 some model requests failed (recorded), 130/143 interrupted. */
export function registerRun(program: Command): void {
  const cmd = program
    .command('run')
    .description('generate → evaluate → dataset validate → report, into one run folder (resumable)')
    .requiredOption('-m, --model <spec>', `model to sample, repeatable to compare models: ${MODEL_HELP}`, collect)
    .option('-o, --out <dir>', 'run folder (default runs/<model names>; an existing one is resumed)')
    .option('--k <list>', 'k values of the report (default: 1,3,5,7,10 up to -n)', kListArg)
    .option('--exclude-broken', 'score without the tasks dataset validate finds broken')
    .option('--split', 'also separate wrong from insecure: func@k, func-sec@k, vulnerable rate (doubles evaluation)')
    .option('--analyze', 'also run the static analyzer (--analyzer, default bandit) on every sample and both references; the report gains "Static analysis vs tests"');
  addSlurmOptions(addEngineOptions(addGenerationOptions(cmd, 'all; replay models: the file\'s own, else direct-generation'))).action(
    action(async (flags: RunFlags) => {
      const { defaultRunDir, runPipeline } = await import('../run/run.js');
      const generate = generationOptionsFrom(flags);
      // Not given: every experiment, except for replay models (see defaultExperiments in src/models/registry.ts).
      const experiments = flags.experiments === undefined && flags.experiment === undefined ? undefined : experimentsFrom(flags, 'all');
      const dataset = datasetFrom(flags);
      const slurm = slurmSettingsFrom(flags);
      if (slurm && flags.shard) throw new UserError('--slurm makes the evaluation shards itself: leave out --shard');
      const outDir = flags.out ?? defaultRunDir(flags.model);
      const interrupts = handleInterrupts('run');
      let reporter = progressReporter(process.stderr);
      const evaluating = phaseProgress();
      let bar: Progress | undefined;
      try {
        const summary = await runPipeline({
          dataset,
          models: flags.model,
          outDir,
          experiments,
          generate,
          engine: engineOptionsFrom(flags),
          ks: flags.k,
          excludeBroken: flags.excludeBroken ?? false,
          split: flags.split ?? false,
          analyze: flags.analyze ?? false,
          ...(slurm ? { slurm } : {}),
          signal: interrupts.signal,
          on: {
            slurm: slurmProgressPrinter((l) => err(`run: ${l}\n`)),
            stage: (stage, message) => {
              reporter.finish();
              evaluating.stop();
              bar?.stop();
              bar = undefined;
              err(`run: ${message}\n`);
              // A fresh reporter per model, so each model's progress starts from its own zero.
              if (stage === 'generate') reporter = progressReporter(process.stderr);
            },
            generate: (_model, p) => reporter.update(p),
            evaluate: (p) => evaluating.update(p),
            validate: (done, total) => {
              if (!bar) bar = createProgress('validating', total);
              bar?.update(done);
            },
            // Static analysis of every sample takes minutes on a full run: it gets a bar too.
            analyze: (done, total) => {
              if (!bar) bar = createProgress('analyzing', total);
              bar?.update(done);
            },
            notice: (m) => err(`run: ${m}\n`),
          },
        });
        reporter.finish();
        evaluating.stop();
        bar?.stop();
        if (summary.batchesInFlight.length) {
          const ids = summary.batchesInFlight.slice(0, 3).join(', ') + (summary.batchesInFlight.length > 3 ? ` and ${summary.batchesInFlight.length - 3} more` : '');
          err(`run: ${summary.batchesInFlight.length} batch(es) in flight at the provider (${ids}); run the same command to collect them and continue (results within 24 h)\n`);
          return;
        }
        if (summary.interrupted) {
          process.exitCode = SIGNAL_EXIT[interrupts.received() ?? 'SIGINT'];
          return;
        }
        if (summary.shard) {
          const { shard, samples, results } = summary.shard;
          out(
            `run: shard ${shard.index}/${shard.count} done: ${samples}, ${results}\n` +
              `When all ${shard.count} shards are done: codeseceval merge ${path.join(outDir, `samples.shard-*-of-${shard.count}.jsonl`)} --out ${path.join(outDir, 'samples.jsonl')} ` +
              `(the same for results), then this command without --shard validates and reports.\n`,
          );
          return;
        }
        const batched = summary.generated.reduce((n, g) => n + g.batched, 0);
        if (batched) err(`run: ${batched} request(s) went by batch, at batch prices\n`);
        out(
          `\n${summary.headline}\nReports: ${summary.files.md}, ${summary.files.html}, ${summary.files.json}\n` +
            `Browse: codeseceval view ${shellQuote(path.dirname(summary.files.results))}\n`,
        );
        if (summary.generationErrors) {
          err(
            `run: ${summary.generationErrors} sample(s) could not be generated and count as failures; --retry-errors makes them again\n`,
          );
          process.exitCode = 3;
        }
      } finally {
        reporter.finish();
        evaluating.stop();
        bar?.stop();
        interrupts.dispose();
      }
    }),
  );
}

/** A path as the shell reads it back: quoted only when it needs to be. */
function shellQuote(p: string): string {
  return /^[\w@%+=:,./-]+$/.test(p) ? p : `'${p.replace(/'/g, `'\\''`)}'`;
}
