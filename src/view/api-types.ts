/**
 * The shapes of the server's answers, for the browser code's JSDoc types: the page type-checks
 * against what the server really sends (`npm run typecheck:view`), never a hand-written copy.
 */
import type { compare, meta, overview, sample, task, tasks } from './queries.js';

export type MetaAnswer = ReturnType<typeof meta>;
export type OverviewAnswer = ReturnType<typeof overview>;
export type TasksAnswer = ReturnType<typeof tasks>;
export type TaskAnswer = ReturnType<typeof task>;
export type SampleAnswer = Awaited<ReturnType<typeof sample>>;
export type CompareAnswer = Awaited<ReturnType<typeof compare>>;
