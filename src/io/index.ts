/**
 * The I/O layer: the only JSONL/JSON readers, atomic and append writers, output locks and
 * path checks in the project. Stages import from here, never from node:fs for their outputs.
 * Every problem a user can fix is a UserError (FileError) with a one-line message naming the
 * file, line and field. See each module's top comment for the exact wording.
 */
export { FileError, fsReason, issueLine, oneLine } from './errors.js';
export {
  countLinesSync,
  parseJsonText,
  readJsonFile,
  readJsonFileSync,
  readJsonl,
  readJsonlFile,
  readJsonlFileSync,
  readJsonlLineSync,
  readJsonlSync,
  type EntryFor,
  type JsonlEntry,
  type JsonlInvalid,
  type JsonlTorn,
  type JsonlValue,
  type ReadJsonlOptions,
} from './jsonl.js';
export { acquireLock, lockState, readLock, type Lock, type LockInfo, type LockOptions } from './lock.js';
export {
  cacheDir,
  checkInputFile,
  checkOutputFile,
  checkOutputFolder,
  createFolder,
  createFolderError,
  packageFile,
  PACKAGE_ROOT,
  realTarget,
  type CheckOutputFolderOptions,
  type CheckOutputOptions,
  type OutputInput,
} from './paths.js';
export {
  JsonlAppender,
  rewriteJsonl,
  rewriteJsonlSync,
  truncateFile,
  writeFileAtomic,
  writeFileAtomicSync,
  type AtomicContent,
  type AtomicWriteOptions,
  type RewriteOptions,
  type RewriteResult,
} from './write.js';
