/**
 * codeseceval as a library: the public API. The same stages the CLI runs, with files between:
 *
 *   const dataset = openDataset();                       // or loadDataset(path)
 *   await generateSamples({ dataset, model: 'reference:secure', outFile: 'samples.jsonl' });
 *   await evaluateSamples({ dataset, samplesFile: 'samples.jsonl', outFile: 'results.jsonl' });
 *   const report = await buildReport({ dataset, resultsFiles: ['results.jsonl'] });
 *   process.stdout.write(await renderReport(report, 'md'));
 *
 * Only the names exported here are public (package.json's `exports` map makes everything else
 * unreachable); test/public-api.test.ts lists them, so a change is a visible decision.
 * How the API is versioned: docs/architecture.md.
 */

// Benchmarks: finding and loading a dataset.
export { BENCHMARKS, loadDataset } from './benchmarks/index.js';
export { locateDataset, openDataset, openDatasets } from './dataset/locate.js';
export type { Benchmark } from './core/benchmark.js';
export type { Dataset, DatasetKind } from './core/task.js';

// Generate: samples from a model.
export { generateSamples, type GenerateOptions, type GenerateProgress, type GenerateSummary } from './generate/generate.js';
export { EXPERIMENT_NAMES, type Experiment } from './core/experiments.js';

// Evaluate: samples run against the tests by an executor (the sandbox).
export { evaluateSamples, type EvaluateOptions, type EvaluateProgress, type EvaluateSummary } from './evaluate/evaluate.js';
export { validateDataset, type ValidateOptions } from './evaluate/validate.js';
export { createExecutor, EXECUTORS, type EngineOptions } from './sandbox/index.js';
export { taskJob } from './benchmarks/index.js';
export type { ExecJob, Executor, ExecutorInfo } from './core/exec.js';

// Score and report.
export { readResults } from './report/results-file.js';
export type { ResultSet, TallyOptions } from './score/tally.js';
export { scoreResults, type RunScores, type ScoreOptions, type Scores } from './score/scores.js';
export type { BootstrapOptions } from './score/bootstrap.js';
export { DEFAULT_KS, passAtK } from './score/passk.js';
export { loadValidation, type Validation } from './score/validation.js';
export { buildReport, renderReport, reportChunks, type BuildReportOptions, type Report } from './report/index.js';
export { REPORT_FORMATS, type ReportFormat } from './report/formats.js';

// The whole pipeline, and static analysis.
export { runPipeline, type RunOptions, type RunSummary } from './run/run.js';
export { analyzeRun, type AnalyzeRunOptions } from './analyze/index.js';
export type { Finding, Severity } from './core/analysis.js';

// The files between the stages: zod schemas with their inferred types, and their reader.
export { Task } from './core/task.js';
export { GeneratedSample, SampleLine } from './core/sample.js';
export { ResultLine } from './core/result.js';
export { Status, STATUSES } from './core/status.js';
export { ValidationFile } from './core/validation.js';
export { EnvironmentRecord } from './core/environment.js';
export { AnalysisHeader, SampleAnalysis } from './core/analysis.js';
export { readJsonlFile, type JsonlValue } from './io/jsonl.js';

// Errors a caller may want to tell apart: bad input (one clear line) and bad data.
export { DatasetError, UserError } from './core/errors.js';
