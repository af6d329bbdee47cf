import { err } from './output.js';
import { UserError } from '../core/errors.js';
import { datasetFrom, type DatasetFlags } from './dataset-options.js';
import { parseRerunKinds, rerunResults } from '../evaluate/rerun.js';
import { engineOptionsFrom, type EngineFlags } from './engine-options.js';
import { createProgress, type Progress } from './progress.js';

/** `evaluate --rerun KINDS --out R.jsonl`: redo the lines with those environment failures, in place. */
export async function rerunAction(flags: EngineFlags & DatasetFlags & { rerun?: string; samples?: string; out: string; fresh?: boolean; soft?: boolean }): Promise<void> {
  const kinds = parseRerunKinds(flags.rerun ?? '');
  if (flags.samples !== undefined) throw new UserError('--rerun re-runs lines of --out and reads no samples file: leave out --samples');
  if (flags.fresh) throw new UserError('--rerun and --fresh do not go together: --rerun keeps every other line of --out');
  if (flags.soft) throw new UserError('--rerun repeats each line as it was made (with a soft run where the line has one): leave out --soft');
  const dataset = datasetFrom(flags);
  let bar: Progress | undefined;
  const summary = await rerunResults({
    ...engineOptionsFrom(flags),
    outFile: flags.out,
    dataset,
    kinds,
    onProgress: (done, total) => {
      bar ??= createProgress('re-running', total);
      bar.update(done);
    },
  });
  bar?.stop();
  const parts = Object.entries(summary.counts)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${s} ${n}`);
  const still = summary.stillFailing ? `; ${summary.stillFailing} still fail for the environment` : '';
  err(
    summary.rerun
      ? `${summary.rerun} of ${summary.total} lines re-run (${kinds.join(', ')}): ${parts.join(', ')}${still} → ${summary.outFile}\n`
      : `no line of ${summary.outFile} has an environment failure of kind ${kinds.join(' or ')}; nothing re-run\n`,
  );
}
