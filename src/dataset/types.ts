// Moved to the contract layer; kept for imports not yet switched.
export type { Dataset, DatasetKind, Subset, Task } from '../core/task.js';
