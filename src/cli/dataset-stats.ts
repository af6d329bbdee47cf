import { out, outJson } from './output.js';
import type { Command } from 'commander';
import { BENCHMARK_HELP, DATASET_HELP, collectDatasets, datasetFrom, type DatasetFlags } from './dataset-options.js';
import { datasetStats, formatStatsTable } from '../dataset/stats.js';
import { loadValidation } from '../score/validation.js';
import { action } from './error-exit.js';
import { UserError } from '../core/errors.js';

interface StatsFlags extends DatasetFlags {
  json?: boolean;
  validation?: string;
}

export function registerDatasetStats(dataset: Command): void {
  dataset
    .command('stats')
    .description('Describe the dataset per subset: records, CWE types, problem and code sizes, asserts, numbered steps.')
    .option('--dataset <dir>', DATASET_HELP, collectDatasets)
    .option('--benchmark <list>', BENCHMARK_HELP)
    .option('--validation <file>', 'validation file from `dataset validate --labels`: adds assert label counts per subset')
    .option('--json', 'print the figures as JSON')
    .action(
      action((flags: StatsFlags) => {
        const ds = datasetFrom(flags);
        let labels = null;
        if (flags.validation) {
          labels = loadValidation(flags.validation, ds).labels;
          if (!labels) throw new UserError(`${flags.validation}: no assert labels (make it with \`dataset validate --labels\`)`);
        }
        const stats = datasetStats(ds, labels);
        if (flags.json) outJson(`${JSON.stringify(stats, null, 2)}\n`);
        else out(`${formatStatsTable(stats)}\n`);
      }),
    );
}
