import { err, out, outJson } from './output.js';
import { Option, type Command } from 'commander';
import { BENCHMARK_HELP, DATASET_HELP, collectDatasets, datasetFrom, type DatasetFlags } from './dataset-options.js';
import { formatEntry, formatFromPath, REPORT_FORMATS, type ReportFormat } from '../report/formats.js';
import { writeFileAtomic } from '../io/write.js';
import { checkOutputFile } from '../io/paths.js';
import { DEFAULT_KS } from '../score/passk.js';
import { loadValidation } from '../score/validation.js';
import { kListArg, nonNegativeInt, positiveInt } from './parse.js';
import { action } from './error-exit.js';
import { notesLine, resolveReportInputs } from './report-inputs.js';
import { partialLines } from '../report/completeness.js';

interface Flags extends DatasetFlags {
  format?: ReportFormat;
  out?: string;
  validation?: string;
  analysis?: string;
  excludeBroken?: boolean;
  k?: number[];
  cweK?: number;
  compare?: boolean;
  bootstrap: number;
  seed: number;
  drilldown: number;
}

const drilldownArg = (v: string): number => (v === 'all' ? Infinity : nonNegativeInt('--drilldown')(v));

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('Score results files: pass@k tables, per-CWE charts, comparisons (md, csv, json or html)')
    .argument('<results...>', 'run folders (from `run`) or results JSONL files written by `evaluate`')
    .addOption(new Option('--format <format>', 'output format (default: from --out, else md)').choices(REPORT_FORMATS))
    .option('--out <file>', 'write the report here instead of stdout')
    .option('--dataset <dir>', DATASET_HELP, collectDatasets)
    .option('--benchmark <list>', BENCHMARK_HELP)
    .option(
      '--validation <file>',
      'validation file from `dataset validate --out`: marks broken tasks; one made with --labels also splits functional from security failures of `evaluate --soft` results',
    )
    .option('--analysis <file>', 'analysis file from `codeseceval analyze`: adds the "Static analysis vs tests" section')
    .option('--exclude-broken', 'score without the broken tasks named by --validation')
    .addOption(new Option('--k <list>', `k values, comma-separated (default: ${DEFAULT_KS.join(',')} up to the smallest n present)`).argParser(kListArg))
    .option('--cwe-k <k>', 'k of the per-CWE tables and charts (default: the smallest k)', positiveInt('--cwe-k'))
    .option('--compare', 'paired comparisons: vuln-aware vs direct generation, explained vs direct repair, each model vs the first')
    .option('--bootstrap <n>', 'bootstrap resamples for confidence intervals', positiveInt('--bootstrap'), 1000)
    .option('--seed <n>', 'seed of the bootstrap and permutation tests', nonNegativeInt('--seed'), 1)
    .addOption(new Option('--drilldown <n|all>', 'HTML: samples shown per task and run (0 leaves the drill-down out)').argParser(drilldownArg).default(Infinity, 'all'))
    .action(
      action(async (args: string[], flags: Flags) => {
        const format = flags.format ?? (flags.out ? formatFromPath(flags.out) : null) ?? 'md';
        const dataset = datasetFrom(flags);
        // A run folder, or a results file inside one, brings its samples, validation and analysis.
        const inputs = resolveReportInputs(args, { validation: flags.validation, analysis: flags.analysis });
        const files = inputs.results;
        const validationFile = flags.validation ?? inputs.validation;
        const analysisFile = flags.analysis ?? inputs.analysis;
        const validation = validationFile ? foundOrGiven(validationFile, flags.validation !== undefined, dataset, inputs.notes) : null;
        const inputsSamples = inputs.samples;
        if (flags.out) {
          // Checked before the scoring work: a report written over one of its own inputs loses results.
          const inputs = files.map((file) => ({ flag: 'results file', file }));
          if (validationFile) inputs.push({ flag: '--validation', file: validationFile });
          if (analysisFile) inputs.push({ flag: '--analysis', file: analysisFile });
          for (const file of inputsSamples) inputs.push({ flag: 'samples file', file });
          checkOutputFile(flags.out, { flag: '--out', createFolder: true, inputs });
        }
        // Loaded on use: the renderers pull in ECharts, which no other command needs.
        const { buildReport, reportChunks } = await import('../report/index.js');
        const report = await buildReport({
          resultsFiles: files,
          dataset,
          validation,
          analysisFile: analysisFile ?? null,
          excludeBroken: flags.excludeBroken ?? false,
          ...(flags.k ? { ks: flags.k } : {}),
          samplesFiles: inputs.samples,
          ...(flags.cweK !== undefined ? { cweK: flags.cweK } : {}),
          // A run's own report has its comparisons; reporting the run again keeps them.
          compare: flags.compare ?? inputs.fromRun,
          bootstrap: { resamples: flags.bootstrap, seed: flags.seed },
          // Only the HTML report shows samples, so only it keeps their code in memory.
          drilldown: formatEntry(format).showsSamples ? flags.drilldown : 0,
        });
        for (const line of partialLines(report.missing)) err(`warning: ${line}\n`);
        const notes = notesLine(inputs.notes);
        if (notes) err(`${notes}\n`);
        if (!flags.out) {
          for (const chunk of await reportChunks(report, format)) (format === 'json' ? outJson : out)(chunk);
          return;
        }
        await writeFileAtomic(flags.out, await reportChunks(report, format), { mkdir: true });
        const runs = report.scores.runs.length;
        err(`${format} report of ${runs} run${runs === 1 ? '' : 's'} → ${flags.out}\n`);
      }),
    );
}

/**
 * A validation file named by --validation must load; one found beside the results is used when
 * it fits this dataset, and otherwise left out with a note (broken tasks are then not marked).
 */
function foundOrGiven(file: string, given: boolean, dataset: Parameters<typeof loadValidation>[1], notes: string[]): ReturnType<typeof loadValidation> | null {
  if (given) return loadValidation(file, dataset);
  try {
    return loadValidation(file, dataset);
  } catch (e) {
    notes.push(`${file} found beside the results does not fit the dataset (${(e as Error).message.split('\n')[0]}); broken tasks not marked`);
    return null;
  }
}
