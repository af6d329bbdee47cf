import { err, out, outJson } from './output.js';
import type { Command } from 'commander';
import { runDoctor } from '../doctor/doctor.js';
import { applyFix } from '../doctor/fix.js';
import { formatDoctorReport } from '../doctor/format.js';
import { action } from './error-exit.js';

interface DoctorFlags {
  python?: string;
  dataset?: string;
  fix?: boolean;
  json?: boolean;
}

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('Check Node.js, the Python interpreter, bubblewrap and every Python module the dataset imports.')
    .option('--python <path>', 'interpreter to check (default: $CODESECEVAL_PYTHON, /usr/bin/python3, python3 on PATH)')
    .option('--dataset <dir>', 'dataset whose imports to check (default: $CODESECEVAL_DATASET, then the fetched copy)')
    .option('--fix', 'apt-get install the missing Debian packages (needs root), then check again')
    .option('--json', 'print the report as JSON')
    .action(
      action(async (flags: DoctorFlags) => {
        const opts = { python: flags.python, dataset: flags.dataset };
        let report = await runDoctor(opts);
        if (flags.fix && !report.ok) {
          const outcome = await applyFix(report.install, { log: (l) => err(`${l}\n`) });
          err(`${outcome.message}\n`);
          if (outcome.ran.length) report = await runDoctor(opts);
        }
        if (flags.json) outJson(`${JSON.stringify(report, null, 2)}\n`);
        else out(`${formatDoctorReport(report)}\n`);
        process.exitCode = report.ok ? 0 : 1;
      }),
    );
}
