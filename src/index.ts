/**
 * codeseceval as a library: the same stages the CLI runs, with files between them.
 *
 *   const dataset = openDataset();                       // or loadDataset(path)
 *   await generateSamples({ dataset, model: 'reference:secure', outFile: 'samples.jsonl' });
 *   await evaluateSamples({ dataset, samplesFile: 'samples.jsonl', outFile: 'results.jsonl' });
 *   const report = await buildReport({ dataset, resultsFiles: ['results.jsonl'] });
 *   process.stdout.write(await renderReport(report, 'md'));
 *
 * Contracts (task, sample line, result line, validation file, experiments) are zod schemas
 * with their inferred types; everything a file holds is checked against them when read.
 */

// Contracts.
export * from './core/index.js';

// Benchmarks: loading a dataset, and assembling a sample's program and job.
export { BENCHMARKS, benchmarkOf, loadDataset, mergeDatasets, sampleProgram, taskJob } from './benchmarks/index.js';
export { openDataset, openDatasets, locateDataset } from './dataset/locate.js';

// Stages.
export { generateSamples, type GenerateOptions, type GenerateProgress, type GenerateSummary } from './generate/generate.js';
export { GenerationSettings, GENERATION_RULES, GENERATION_DEFAULTS } from './generate/options.js';
export { evaluateSamples, type EvaluateOptions, type EvaluateProgress, type EvaluateSummary } from './evaluate/evaluate.js';
export { validateDataset, type ValidateOptions } from './evaluate/validate.js';
export { buildReport, createReport, renderReport, reportChunks, type BuildReportOptions, type Report } from './report/index.js';
export { REPORT_FORMATS, type ReportFormat } from './report/formats.js';
export { readResults } from './report/results-file.js';
export { scoreResults, type Scores, type RunScores } from './score/scores.js';
export { passAtK, DEFAULT_KS } from './score/passk.js';
export { loadValidation, type Validation } from './score/validation.js';
export { analyzeRun, type AnalyzeRunOptions } from './analyze/index.js';
export { runPipeline, type RunOptions, type RunSummary } from './run/run.js';

// Plug-in registries.
export { PROVIDERS, createProvider, parseModelArg, type ProviderEntry, type ProviderOptions } from './models/registry.js';
export { EXECUTORS, createExecutor, type EngineOptions } from './sandbox/index.js';
export { strategyFor, registerStrategy, type ExperimentStrategy, type ExperimentContext } from './experiments/index.js';
export { ANALYZER_NAMES, createAnalyzer } from './analyzers/registry.js';
export type { Analyzer, Finding } from './analyzers/types.js';

// The file I/O every stage uses.
export { readJsonl, readJsonlFile } from './io/jsonl.js';
export { writeFileAtomic, JsonlAppender } from './io/write.js';
