/**
 * Every project module the viewer uses, in one place: when a shape or reader moves, this is
 * the only file of src/view to edit. The viewer never parses a results or validation file
 * with code of its own; it goes through the same schemas, readers and scoring as `report`.
 */
export { normaliseCwe } from '../util/cwe.js';
export { cweGroupName } from '../core/cwe-names.js';
export type { Dataset, Task } from '../core/task.js';
export { ResultLine } from '../core/result.js';
export { SampleRound } from '../core/sample.js';
export { emptyStatusCounts, STATUSES, type Status } from '../core/status.js';
export { DatasetError, UserError } from '../core/errors.js';
export { parseShardFile, shardFile, type Shard } from '../core/shard.js';
export { describeInputs, shardSetOf } from '../merge/inputs.js';
export { checkLineInShard } from '../merge/lines.js';
export { environmentFileFor } from '../core/environment.js';
export { compareExperiments } from '../core/experiments.js';
export { countLinesSync, parseJsonText, readJsonlLineSync, readJsonlSync } from '../io/jsonl.js';
export { FileError } from '../io/errors.js';
export { repairHint } from '../io/repair.js';
export { buildReport } from '../report/build.js';
export { toJson, type JsonGroup, type JsonReport } from '../report/json.js';
export { compareRuns, defaultPairs } from '../score/compare.js';
export type { RunScores } from '../score/scores.js';
export type { RunSplit } from '../score/functional.js';
export { pairedCompare, taskMatrix } from '../score/bootstrap.js';
export { loadValidation, type Validation } from '../score/validation.js';
export type { SampleJudgement } from '../score/judge.js';
export { DEFAULT_BOOTSTRAP, Resampler, type PairedColumn } from '../score/bootstrap.js';
export { DEFAULT_KS, passAtK } from '../score/passk.js';
export { fallbackModel } from '../score/tally.js';
export { acceptResultLine, SampleRegister, type AcceptedLine } from '../score/accept.js';
export { packageFile } from '../io/paths.js';
export { startModuleWorker } from '../io/worker.js';
export { lockState } from '../io/lock.js';
export { readAnalysisFile, sha256, type AnalysisFile } from '../analyze/format.js';
export { sampleKey } from '../core/sample.js';
export { judgeCases } from '../score/case-judge.js';
