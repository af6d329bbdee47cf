import { onlyOnce } from './parse.js';
import { err } from './output.js';
import type { Command } from 'commander';
import { datasetFrom } from './dataset-options.js';
import { generateSamples } from '../generate/generate.js';
import { addGenerationOptions, experimentsFrom, generationOptionsFrom, MODEL_HELP, type GenerationFlags } from './options.js';
import { batchedText, formatDuration, inFlightLine, progressReporter } from './progress.js';
import { action } from './error-exit.js';
import { handleInterrupts, SIGNAL_EXIT } from './signals.js';

interface GenerateFlags extends GenerationFlags {
  model: string;
  out: string;
}

/** Exit codes: 0 all samples made, 1 bad input, 2 unexpected failure, 3 some samples failed (recorded), 130/143 interrupted. */
export function registerGenerate(program: Command): void {
  const cmd = program
    .command('generate')
    .description('Ask a model for samples of the chosen experiments and append them to a samples file (resumable).')
    .requiredOption('-m, --model <spec>', `model to sample: ${MODEL_HELP}`, onlyOnce('-m, --model', 'a samples file holds one model; `codeseceval run` takes -m once per model to compare'))
    .option('-o, --out <file>', 'samples file to append to (resumed if it exists)', 'samples.jsonl');
  addGenerationOptions(cmd, 'direct-generation').action(
    action(async (flags: GenerateFlags) => {
      const experiments = experimentsFrom(flags, 'direct-generation');
      const options = generationOptionsFrom(flags);
      const dataset = datasetFrom(flags);
      const interrupts = handleInterrupts('generate');
      const reporter = progressReporter(process.stderr);
      try {
        const summary = await generateSamples({
          ...options,
          dataset,
          model: flags.model,
          outFile: flags.out,
          experiments,
          signal: interrupts.signal,
          onProgress: (p) => reporter.update(p),
          onNotice: (m) => err(`generate: ${m}\n`),
        });
        reporter.finish();
        if (summary.total === 0) {
          err(`generate: nothing to do: all ${summary.alreadyDone} samples are already in ${summary.outFile}\n`);
          return;
        }
        const already = summary.alreadyDone ? `; ${summary.alreadyDone} were already there` : '';
        const stopped = summary.interrupted ? 'interrupted; ' : '';
        err(
          `generate: ${stopped}wrote ${summary.done} of ${summary.total} sample(s) to ${summary.outFile} in ${formatDuration(summary.elapsedMs)} ` +
            `(${summary.requests} request(s)${batchedText(summary)}, ${summary.cached} from cache, ${summary.errors} failed${already})\n`,
        );
        const waiting = inFlightLine(summary);
        if (waiting && !summary.interrupted) {
          err(`generate: ${waiting}\n`);
          return;
        }
        if (summary.interrupted) {
          err('generate: run the same command to continue\n');
          process.exitCode = SIGNAL_EXIT[interrupts.received() ?? 'SIGINT'];
        } else if (summary.errors) {
          err(`generate: first failure: ${summary.firstError}; --retry-errors makes failed samples again\n`);
          process.exitCode = 3;
        }
      } finally {
        reporter.finish();
        interrupts.dispose();
      }
    }),
  );
}
