export { analyzeRun, type AnalyzeRunOptions, type AnalyzeRunSummary } from './analyze.js';
export {
  ANALYSIS_FORMAT,
  ANALYSIS_VERSION,
  readAnalysisFile,
  type AnalysisFile,
  type AnalysisHeader,
  type ReferenceAnalysis,
  type SampleAnalysis,
} from './format.js';
export { summarizeAnalysis, type SummarizeOptions } from './summary.js';
