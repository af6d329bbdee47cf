export { generateSamples, type GenerateOptions, type GenerateProgress, type GenerateSummary } from './generate.js';
export { EXPERIMENTS, parseExperiments, type Experiment } from './experiments.js';
export { extractProgram, type ExtractContext, type Extraction } from './extract.js';
export { GeneratedSample } from './samples-file.js';
export { parseSubset, parseTaskFilters, selectTasks } from './select.js';
