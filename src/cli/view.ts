import { err, out } from './output.js';
import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { BENCHMARK_HELP, collectDatasets, DATASET_HELP, datasetFrom, type DatasetFlags } from './dataset-options.js';
import { numberArg } from './parse.js';
import { action } from './error-exit.js';

interface Flags extends DatasetFlags {
  port: number;
  host: string;
  open?: boolean;
  poll: number;
}

function openBrowser(url: string): void {
  const cmd = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  try {
    const child = spawn(cmd, [url], { stdio: 'ignore', detached: true });
    child.on('error', () => err(`codeseceval view: could not start ${cmd}; open ${url} yourself\n`));
    child.unref();
  } catch {
    err(`codeseceval view: could not start ${cmd}; open ${url} yourself\n`);
  }
}

export function registerView(program: Command): void {
  program
    .command('view')
    .description('Explore, compare and share runs in a local web viewer (follows runs in progress)')
    .argument('[runs...]', 'run folders, results .jsonl files (the shard files of one are read as one), or folders of run folders (default: runs/)')
    .option('--port <n>', 'first port to try; a busy one moves to the next', numberArg('--port', { integer: true, min: 0, max: 65535, what: 'a port from 0 to 65535' }), 8484)
    .option('--host <host>', 'address to listen on (anything but loopback shares your results with your network)', '127.0.0.1')
    .option('--open', 'open the viewer in the default browser')
    .option('--dataset <dir>', DATASET_HELP, collectDatasets)
    .option('--benchmark <list>', BENCHMARK_HELP)
    .option('--poll <ms>', 'how often to look for new results, in milliseconds (0: never)', numberArg('--poll', { integer: true, min: 0, what: 'a whole number of milliseconds, 0 or more' }), 1000)
    .action(
      action(async (runs: string[], flags: Flags) => {
        const { port, poll: pollMs } = flags;
        // A run over several benchmarks is viewed with all of them (the Tasks page filters by benchmark).
        const dataset = datasetFrom(flags);
        // Loaded on use: the other commands need none of the viewer.
        const { ViewData } = await import('../view/data.js');
        const { startViewServer, isLoopback } = await import('../view/server.js');
        const seen = new Set<string>();
        const data = ViewData.open(runs, {
          dataset,
          pollMs,
          onProblem: (m) => {
            if (seen.has(m)) return;
            seen.add(m);
            err(`codeseceval view: ${m.split('\n')[0]}\n`);
          },
        });
        const server = await startViewServer({ data, host: flags.host, port });
        data.start();
        const n = data.runs().length;
        err(
          `codeseceval view: ${n} run${n === 1 ? '' : 's'} from ${data.sources.length} source${data.sources.length === 1 ? '' : 's'}` +
            (server.port !== port && port !== 0 ? ` (port ${port} was busy)` : '') +
            '; Ctrl-C to stop\n',
        );
        if (!isLoopback(flags.host)) {
          err(`codeseceval view: listening on ${flags.host}: anyone who can reach this address can read these runs\n`);
        }
        out(`${server.url}\n`);
        if (flags.open) openBrowser(server.url);
        await new Promise<void>((resolve) => {
          const stop = () => {
            data.stop();
            void server.close().then(resolve);
          };
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
      }),
    );
}
