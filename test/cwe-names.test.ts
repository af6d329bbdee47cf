import { describe, expect, it } from 'vitest';
import { loadDataset } from '../src/benchmarks/index.js';
import { cweGroupName, cweName } from '../src/core/cwe-names.js';
import { CODESECEVAL_DIR, CWEVAL_DIR, describeWithCweval, describeWithDataset, describeWithSallm, SALLM_DIR } from './helpers/datasets.js';

/** Every CWE a bundled benchmark names has a name in src/core/cwe-names.ts. */
function unnamed(dir: string): string[] {
  const ds = loadDataset(dir);
  const cwes = new Set(ds.tasks.flatMap((t) => t.cwes));
  expect(cwes.size).toBeGreaterThan(0);
  return [...cwes].filter((c) => cweName(c) === null);
}

describe('CWE names', () => {
  it('reads numbers with or without leading zeros, and names merged groups by their members', () => {
    expect(cweName('CWE-079')).toBe('Cross-site Scripting');
    expect(cweName('CWE-20')).not.toBe(cweName('CWE-200'));
    expect(cweName('CWE-999999')).toBeNull();
    expect(cweName('not a cwe')).toBeNull();
    expect(cweGroupName('CWE-862/CWE-287')).toBe('Missing Authorization / Improper Authentication');
  });
});

describeWithDataset('CWE names: CodeSecEval', () => {
  it('has a name for every CWE of the dataset', () => expect(unnamed(CODESECEVAL_DIR)).toEqual([]));
});
describeWithSallm('CWE names: SALLM', () => {
  it('has a name for every CWE of the dataset', () => expect(unnamed(SALLM_DIR)).toEqual([]));
});
describeWithCweval('CWE names: CWEval', () => {
  it('has a name for every CWE of the dataset', () => expect(unnamed(CWEVAL_DIR)).toEqual([]));
});
