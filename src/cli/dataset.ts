import type { Command } from 'commander';
import { registerDatasetFetch } from './dataset-fetch.js';
import { registerDatasetStats } from './dataset-stats.js';
import { registerDatasetValidate } from './dataset-validate.js';

export function registerDataset(program: Command): void {
  const dataset = program.command('dataset').description('Fetch, describe and validate the benchmark dataset.');
  registerDatasetFetch(dataset);
  registerDatasetStats(dataset);
  registerDatasetValidate(dataset);
}
