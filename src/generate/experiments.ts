// Moved to the contract layer; kept for imports not yet switched.
export { PAPER_EXPERIMENTS as EXPERIMENTS, isExperiment, parseExperiments, type Experiment } from '../core/experiments.js';
