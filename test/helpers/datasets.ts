import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, it, type TestFunction } from 'vitest';
import { fetchedDatasetDir } from '../../src/dataset/locate.js';
import { DATA, NEEDS_PREFIX } from '../support/data-note.js';

/**
 * The upstream data, read in place (never copied into the repository), found the way the tool
 * finds it: $CODESECEVAL_DATASET, then the `codeseceval dataset fetch` cache, then
 * ../shared/datasets beside the repository (this repository's CI). HumanEval has no fetch:
 * $CODESECEVAL_HUMANEVAL (the .jsonl file), then ../shared.
 *
 * Without the data, tests that need it are skipped, unless they must not be: under CI
 * (CI=true), or when the variable names a path that does not exist, missing data fails them,
 * so a run can never pass by skipping what it was asked to test.
 */
const SHARED = path.resolve(import.meta.dirname, '../../../shared/datasets');

interface Source {
  /** Where the data is, or where it was looked for last. */
  path: string;
  found: boolean;
  /** Missing data fails the tests instead of skipping them. */
  required: boolean;
  /** Why the tests cannot run, for the failure message. */
  missing: string;
}

const inCI = !!process.env.CI && !['false', '0'].includes(process.env.CI);

function locate(envName: string, candidates: string[], hint: string): Source {
  const fromEnv = process.env[envName];
  if (fromEnv) {
    const p = path.resolve(fromEnv);
    return { path: p, found: existsSync(p), required: true, missing: `not found: ${envName}=${fromEnv} does not exist` };
  }
  const p = candidates.find((c) => existsSync(c));
  return {
    path: p ?? candidates.at(-1)!,
    found: p !== undefined,
    required: inCI,
    missing: `not found in ${candidates.join(' or ')} (missing data fails tests under CI=${process.env.CI}); ${hint}`,
  };
}

const codeSecEval = locate('CODESECEVAL_DATASET', [fetchedDatasetDir(), path.join(SHARED, 'codeseceval')], DATA.codeseceval.hint);
const sallm = locate('CODESECEVAL_SALLM', [fetchedDatasetDir('sallm'), path.join(SHARED, 'sallm')], DATA.sallm.hint);
const cweval = locate('CODESECEVAL_CWEVAL', [fetchedDatasetDir('cweval'), path.join(SHARED, 'cweval')], DATA.cweval.hint);
const humanEval = locate('CODESECEVAL_HUMANEVAL', [path.join(SHARED, 'humaneval', 'HumanEval.jsonl')], DATA.humaneval.hint);

/** The CodeSecEval folder. Only for tests inside `describeWithDataset` / `itWithDataset`. */
export const CODESECEVAL_DIR = codeSecEval.path;
/** The HumanEval .jsonl file. Only for tests inside `describeWithHumanEval` / `itWithHumanEval`. */
export const HUMANEVAL_FILE = humanEval.path;
export const HAVE_CODESECEVAL = codeSecEval.found;
/** The SALLM folder (PythonDataset/ below it). Only inside `describeWithSallm`. */
export const SALLM_DIR = sallm.path;
/** The CWEval folder (benchmark/core/py/ below it). Only inside `describeWithCweval`. */
export const CWEVAL_DIR = cweval.path;
export const HAVE_HUMANEVAL = humanEval.found;

type SuiteBody = () => void;
type TestBody = TestFunction;

function suiteNeeding(source: Source, what: string) {
  return (name: string, body: SuiteBody): void => {
    if (source.found) describe(name, body);
    else if (source.required) {
      describe(name, () =>
        it(`${NEEDS_PREFIX}${what}`, () => {
          throw new Error(`${what} ${source.missing}`);
        }),
      );
    }
    // The body is not even collected: it may load the data while it declares its tests.
    else describe(name, () => it.skip(`${NEEDS_PREFIX}${what}`, () => {}));
  };
}

function testNeeding(source: Source, what: string) {
  return (name: string, body: TestBody, timeout?: number): void => {
    if (source.found) it(name, body, timeout);
    else if (source.required) {
      it(`${name} (${NEEDS_PREFIX}${what})`, () => {
        throw new Error(`${what} ${source.missing}`);
      });
    } else it.skip(`${NEEDS_PREFIX}${what}: ${name}`, () => {});
  };
}

/** A suite that reads the CodeSecEval data: skipped without it (failed under CI). */
type Suite = (name: string, body: SuiteBody) => void;
export const describeWithDataset: Suite & { runIf(condition: unknown): Suite } = Object.assign(suiteNeeding(codeSecEval, DATA.codeseceval.what), {
  /** Also needs something else: skipped, like `describe.runIf`, when `condition` is false. */
  runIf: (condition: unknown): Suite => (condition ? describeWithDataset : (name: string, body: SuiteBody) => describe.skip(name, body)),
});
/** A test that reads the CodeSecEval data: skipped without it (failed under CI). */
export const itWithDataset = testNeeding(codeSecEval, DATA.codeseceval.what);
export const describeWithHumanEval = suiteNeeding(humanEval, DATA.humaneval.what);
export const describeWithSallm = suiteNeeding(sallm, DATA.sallm.what);
export const describeWithCweval = suiteNeeding(cweval, DATA.cweval.what);
export const itWithHumanEval = testNeeding(humanEval, DATA.humaneval.what);

/**
 * The CodeSecEval folder, for code outside the wrappers above that runs only when some test
 * needing it runs (a file-level beforeAll whose suites all use `describeWithDataset`).
 */
export function needsCodeSecEval(): string {
  if (!codeSecEval.found) throw new Error(`${DATA.codeseceval.what} ${codeSecEval.missing}`);
  return codeSecEval.path;
}

export function needsHumanEval(): string {
  if (!humanEval.found) throw new Error(`${DATA.humaneval.what} ${humanEval.missing}`);
  return humanEval.path;
}
