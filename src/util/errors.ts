// Moved to the contract layer; kept for imports not yet switched.
export { DatasetError, UserError } from '../core/errors.js';
