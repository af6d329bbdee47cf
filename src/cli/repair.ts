import { err } from './output.js';
import { Option, type Command } from 'commander';
import { action } from './error-exit.js';
import type { RepairKind } from '../evaluate/repair.js';
import type { RepairOutcome } from '../evaluate/repair.js';

interface Flags {
  kind?: RepairKind;
  force?: boolean;
}

/** Lines listed one by one up to this many; the rejected file holds them all. */
const LISTED = 20;

export function registerRepair(program: Command): void {
  program
    .command('repair')
    .description('Move the bad lines of a damaged results or samples file to FILE.rejected (a backup is kept), so the next run resumes it')
    .argument('<file>', 'results .jsonl (of evaluate) or samples .jsonl (of generate)')
    .addOption(new Option('--kind <kind>', 'what the file is (default: told from its first line)').choices(['results', 'samples']))
    .option('--force', 'repair even when most lines are bad (refused by default: that is usually the wrong file)')
    .action(
      action(async (file: string, flags: Flags) => {
        // Loaded on use, like the stages of the other commands.
        const { repairFile } = await import('../evaluate/repair.js');
        printRepair(file, await repairFile(file, flags.kind, { force: flags.force ?? false }), true);
      }),
    );
}

/** What a repair did, on stderr: each moved line (up to LISTED), then one summary line. */
export function printRepair(file: string, r: RepairOutcome, sayNext: boolean): void {
  if (!r.rejected.length) {
    err(`${file}: ${r.kept} lines, all good; nothing to repair (the file was left as it is)\n`);
    return;
  }
  for (const line of r.rejected.slice(0, LISTED)) err(`  line ${line.line}: ${line.reason}\n`);
  if (r.rejected.length > LISTED) err(`  ... and ${r.rejected.length - LISTED} more\n`);
  const next = r.kind === 'results' ? 'run the same `codeseceval evaluate` again to redo those samples' : 'run the same `codeseceval generate` again to make those samples again';
  err(
    `${file}: kept ${r.kept} lines, moved ${r.rejected.length} to ${r.rejectedFile} (with their line numbers and reasons); ` +
      `the original is kept as ${r.backup}${sayNext ? `; ${next}` : ''}\n`,
  );
}
