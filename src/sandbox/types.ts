// Moved to the contract layer; kept for imports not yet switched.
export { STATUSES, type ExecResult, type SoftFailure, type SoftOutcome, type Status } from '../core/index.js';
