import { err } from './output.js';
import { Option, type Command } from 'commander';
import { ANALYZER_NAMES, DEFAULT_ANALYZER } from '../analyzers/registry.js';
import { openDataset } from '../dataset/locate.js';
import { createProgress, type Progress } from './progress.js';
import { action } from './error-exit.js';

interface Flags {
  results: string[];
  out: string;
  analyzer: string;
  dataset?: string;
  references: boolean;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function registerAnalyze(program: Command): void {
  program
    .command('analyze')
    .description('Run a static analyzer (Bandit) on every sample of a results file and on the dataset’s references → analysis.jsonl')
    .option('--results <file>', 'results JSONL written by `evaluate` (repeat for several files; none: the references only)', collect, [])
    .option('--out <file>', 'analysis JSONL to write (replaced once complete)', 'analysis.jsonl')
    .addOption(new Option('--analyzer <name>', 'static analyzer').choices(ANALYZER_NAMES).default(DEFAULT_ANALYZER))
    .option('--dataset <dir>', 'dataset folder or HumanEval .jsonl (default: $CODESECEVAL_DATASET, else the fetched copy)')
    .option('--no-references', 'do not analyse the dataset’s Secure and Insecure Code')
    .action(
      action(async (flags: Flags) => {
        const dataset = openDataset(flags.dataset);
        // Loaded on use, like the other stages: only this command needs the analyzers.
        const { analyzeRun } = await import('../analyze/analyze.js');
        let bar: Progress | undefined;
        const s = await analyzeRun({
          resultsFiles: flags.results,
          out: flags.out,
          dataset,
          analyzer: flags.analyzer,
          references: flags.references,
          onProgress: (done, total) => {
            bar ??= createProgress(`analyzing (${flags.analyzer})`, total);
            bar.update(done);
          },
        });
        bar?.stop();
        err(
          `${s.analyzer} ${s.analyzerVersion}: ${s.samples} samples and ${s.references} references analysed, ` +
            `${s.flagged} flagged, ${s.errors} unreadable, ${s.empty} blank → ${s.out}\n`,
        );
      }),
    );
}
