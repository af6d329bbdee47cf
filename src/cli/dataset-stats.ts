import type { Command } from 'commander';
import { openDataset } from '../dataset/locate.js';
import { datasetStats, formatStatsTable } from '../dataset/stats.js';
import { action } from './run-action.js';

interface StatsFlags {
  dataset?: string;
  json?: boolean;
}

export function registerDatasetStats(dataset: Command): void {
  dataset
    .command('stats')
    .description('Describe the dataset per subset: records, CWE types, problem and code sizes, asserts, numbered steps.')
    .option('--dataset <dir>', 'dataset folder or HumanEval .jsonl (default: $CODESECEVAL_DATASET, then the fetched copy)')
    .option('--json', 'print the figures as JSON')
    .action(
      action((flags: StatsFlags) => {
        const stats = datasetStats(openDataset(flags.dataset));
        process.stdout.write(flags.json ? `${JSON.stringify(stats, null, 2)}\n` : `${formatStatsTable(stats)}\n`);
      }),
    );
}
