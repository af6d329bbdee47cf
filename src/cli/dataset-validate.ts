import { out, outJson } from './output.js';
import type { Command } from 'commander';
import { BENCHMARK_HELP, DATASET_HELP, collectDatasets, datasetFrom, type DatasetFlags } from './dataset-options.js';
import { validateDataset, validationRuns } from '../evaluate/validate.js';
import { formatLabelTable } from '../score/label-table.js';
import { addEngineOptions, engineOptionsFrom, type EngineFlags } from './engine-options.js';
import { createProgress } from './progress.js';
import { checkOutputFile } from '../io/paths.js';
import { writeFileAtomic } from '../io/write.js';
import { InterruptedError } from '../core/errors.js';
import { action } from './error-exit.js';
import { handleInterrupts } from './signals.js';

interface Flags extends EngineFlags, DatasetFlags {
  json?: boolean;
  out?: string;
  labels?: boolean;
}

export function registerDatasetValidate(parent: Command): void {
  const cmd = parent
    .command('validate')
    .description("Run each task's Secure and Insecure Code (those it has) against its Test and classify the task")
    .option('--dataset <dir>', DATASET_HELP, collectDatasets)
    .option('--benchmark <list>', BENCHMARK_HELP)
    .option('--json', 'print the validation file (JSON) on stdout')
    .option('--out <file>', 'also write the validation file here (for `report --validation`)')
    .option('--labels', 'also label every assert functional / security / broken from soft-assert runs (twice the runs)');
  addEngineOptions(cmd).action(
    action(async (flags: Flags) => {
      const dataset = datasetFrom(flags);
      if (flags.out) checkOutputFile(flags.out, { flag: '--out', createFolder: true });
      const labels = flags.labels ?? false;
      const total = dataset.tasks.reduce((n, t) => n + validationRuns(t, labels), 0);
      const interrupts = handleInterrupts('dataset validate');
      const bar = createProgress('validating', total);
      let validation;
      try {
        validation = await validateDataset(dataset, { ...engineOptionsFrom(flags), labels, onProgress: (d) => bar.update(d), signal: interrupts.signal });
      } catch (e) {
        // Stopped: a validation of some tasks would call the others unknown, so nothing is written.
        if (e instanceof InterruptedError) throw new InterruptedError(interrupts.received() ?? 'SIGINT');
        throw e;
      } finally {
        bar.stop();
        interrupts.dispose();
      }
      const json = `${JSON.stringify(validation, null, 1)}\n`;
      if (flags.out) await writeFileAtomic(flags.out, json);
      if (flags.json) {
        outJson(json);
        return;
      }
      const counts = new Map<string, number>();
      for (const r of validation.records) counts.set(r.verdict, (counts.get(r.verdict) ?? 0) + 1);
      const lines = [`${validation.records.length} tasks in ${validation.dataset}`];
      for (const [verdict, n] of counts) lines.push(`  ${verdict.padEnd(16)} ${n}`);
      const broken = validation.records.filter((r) => r.verdict !== 'ok');
      if (broken.length) {
        lines.push('', 'Broken tasks:');
        for (const r of broken) lines.push(`  ${r.task_id.padEnd(40)} ${r.verdict.padEnd(16)} ${r.reason.slice(0, 160)}`);
      }
      if (validation.untestable?.length) {
        lines.push('', `Untestable records (${validation.untestable.length}):`);
        for (const u of validation.untestable) lines.push(`  ${u.id.padEnd(40)} ${u.reason}`);
      }
      if (labels) lines.push('', formatLabelTable(validation.records));
      out(`${lines.join('\n')}\n`);
    }),
  );
}
