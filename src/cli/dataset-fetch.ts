import { err, out } from './output.js';
import type { Command } from 'commander';
import { type FetchProgress, defaultDatasetUrl, fetchPinned, formatBytes } from '../benchmarks/fetch/fetch.js';
import { BENCHMARKS, fetchedDir, parseBenchmarkName } from '../benchmarks/index.js';
import { UserError } from '../core/errors.js';
import { action } from './error-exit.js';

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
      err(`downloading ${url}\n`);
    } else if (p.phase === 'download') {
      if (!live || Date.now() - lastDraw < 100) return;
      lastDraw = Date.now();
      drawn = true;
      process.stderr.write(`\r  ${formatBytes(p.bytes)}${p.total ? ` of ${formatBytes(p.total)}` : ''}\x1b[K`);
    } else if (p.phase === 'extract') {
      clear();
      err(`  downloaded ${formatBytes(p.bytes)}; unpacking\n`);
    } else if (p.phase === 'verify') {
      err('  verifying SHA-256 of every data file\n');
    }
  };
  return { onProgress, clear };
}

export function registerDatasetFetch(dataset: Command): void {
  dataset
    .command('fetch')
    .argument('[benchmark]', `which benchmark: ${BENCHMARKS.filter((b) => b.fetch).map((b) => b.kind).join(', ')}`, 'codeseceval')
    .description('Download a benchmark\'s pinned upstream data (CodeSecEval by default), verify every file by SHA-256 and install it in the cache.')
    .option(
      '--url <url>',
      'archive to download instead of the pinned upstream tarball (for CodeSecEval also $CODESECEVAL_DATASET_URL; a local path or file: URL works too)',
    )
    .option('--force', 'download again and replace an existing install (only once the new copy has been verified)')
    .action(
      action(async (name: string, flags: FetchFlags) => {
        const bench = parseBenchmarkName(name, 'dataset fetch');
        if (!bench.fetch) throw new UserError(`dataset fetch: ${bench.label} has no pinned public source; pass its data with --dataset`);
        const { manifest, urlEnv } = bench.fetch;
        const url = flags.url || (urlEnv ? process.env[urlEnv] : undefined) || defaultDatasetUrl(manifest);
        const progress = progressPrinter(url);
        let result;
        try {
          result = await fetchPinned({ url, force: flags.force, dest: fetchedDir(bench.kind), manifest, onProgress: progress.onProgress });
        } finally {
          progress.clear();
        }
        if (result.status === 'already-installed') {
          err(`already installed and verified (${result.files} files); use --force to download again\n`);
        } else {
          err(`installed ${result.files} verified files (archive sha256 ${result.archiveSha256})\n`);
        }
        out(`${result.dir}\n`);
      }),
    );
}
