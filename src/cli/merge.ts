import { err } from './output.js';
import type { Command } from 'commander';
import { mergeShards } from '../merge/merge.js';
import { action } from './error-exit.js';

export function registerMerge(program: Command): void {
  program
    .command('merge')
    .description('Join the shard files of generate/evaluate --shard into one samples or results file, checking that none is missing, overlapping or from another run')
    .argument('<files...>', 'every shard file (samples.shard-I-of-N.jsonl or results.shard-I-of-N.jsonl)')
    .requiredOption('--out <file>', 'the merged file to write (replaced in one rename)')
    .action(
      action(async (files: string[], flags: { out: string }) => {
        const summary = await mergeShards({ files, out: flags.out });
        err(`merge: ${summary.shards} shard(s), ${summary.lines} ${summary.kind === 'results' ? 'result' : 'sample'} line(s) → ${summary.out}\n`);
      }),
    );
}
