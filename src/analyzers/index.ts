export { BanditAnalyzer, type BanditOptions } from './bandit.js';
export { BANDIT_RULE_CWES, BANDIT_RULE_TABLE, banditRuleCwe } from './bandit-cwe.js';
export {
  analyze,
  AnalysisError,
  analyzeOne,
  ANALYZER_NAMES,
  createAnalyzer,
  DEFAULT_ANALYZER,
  isAnalyzerName,
  requireAnalyzer,
  type AnalyzerName,
} from './registry.js';
export { reaches, SEVERITIES, type Analyzer, type Availability, type Finding, type ProgramAnalysis, type Severity } from './types.js';
