import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect } from 'vitest';
import { UserError } from '../../src/core/errors.js';

/** A temporary folder for one test file, removed after its tests; `fresh()` makes a new empty folder inside. */
export function tempRoot(prefix: string): { root: string; fresh(): string } {
  const root = mkdtempSync(path.join(os.tmpdir(), prefix));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  let n = 0;
  return {
    root,
    fresh() {
      const d = path.join(root, `d${++n}`);
      mkdirSync(d);
      return d;
    },
  };
}

/** What `fn` throws; fails the test when it throws nothing. */
export function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('did not throw');
}

/** The message of the UserError `fn` throws. */
export function message(fn: () => unknown): string {
  const e = thrown(fn);
  expect(e).toBeInstanceOf(UserError);
  return e.message;
}
