// Moved to the contract layer; kept for imports not yet switched.
export { ResultLine, SampleLine } from '../core/index.js';
