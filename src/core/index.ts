/** The contract layer: every shape that crosses a stage or a file, defined once. */
export * from './analysis.js';
export * from './benchmark.js';
export * from './environment.js';
export * from './errors.js';
export * from './exec.js';
export * from './experiments.js';
export * from './model.js';
export * from './result.js';
export * from './sample.js';
export * from './soft.js';
export * from './status.js';
export * from './task.js';
export * from './validation.js';
export * from './zod-issue.js';
