import type { Command } from 'commander';
import { type FetchProgress, fetchDataset, formatBytes, resolveDatasetUrl } from '../benchmarks/codeseceval/fetch.js';
import { action } from './run-action.js';

interface FetchFlags {
  url?: string;
  force?: boolean;
}

/** Progress on stderr: a redrawn counter on a terminal, a few plain lines otherwise. */
function progressPrinter(url: string): { onProgress: (p: FetchProgress) => void; clear: () => void } {
  const live = process.stderr.isTTY === true;
  let lastDraw = 0;
  let drawn = false;
  const clear = () => {
    if (drawn) process.stderr.write('\r\x1b[K');
    drawn = false;
  };
  const onProgress = (p: FetchProgress) => {
    if (p.phase === 'download' && p.bytes === 0) {
      process.stderr.write(`downloading ${url}\n`);
    } else if (p.phase === 'download') {
      if (!live || Date.now() - lastDraw < 100) return;
      lastDraw = Date.now();
      drawn = true;
      process.stderr.write(`\r  ${formatBytes(p.bytes)}${p.total ? ` of ${formatBytes(p.total)}` : ''}\x1b[K`);
    } else if (p.phase === 'extract') {
      clear();
      process.stderr.write(`  downloaded ${formatBytes(p.bytes)}; unpacking\n`);
    } else if (p.phase === 'verify') {
      process.stderr.write('  verifying SHA-256 of every data file\n');
    }
  };
  return { onProgress, clear };
}

export function registerDatasetFetch(dataset: Command): void {
  dataset
    .command('fetch')
    .description('Download the pinned CodeSecEval data, verify every file by SHA-256 and install it in the cache.')
    .option(
      '--url <url>',
      'archive to download instead of the pinned upstream tarball (also $CODESECEVAL_DATASET_URL; a local path or file: URL works too)',
    )
    .option('--force', 'download again and replace an existing install (only once the new copy has been verified)')
    .action(
      action(async (flags: FetchFlags) => {
        const url = resolveDatasetUrl(flags.url);
        const progress = progressPrinter(url);
        let result;
        try {
          result = await fetchDataset({ url, force: flags.force, onProgress: progress.onProgress });
        } finally {
          progress.clear();
        }
        if (result.status === 'already-installed') {
          process.stderr.write(`already installed and verified (${result.files} files); use --force to download again\n`);
        } else {
          process.stderr.write(`installed ${result.files} verified files (archive sha256 ${result.archiveSha256})\n`);
        }
        process.stdout.write(`${result.dir}\n`);
      }),
    );
}
