import { afterEach, describe, expect, it } from 'vitest';
import { locateDataset, openDatasets } from '../../src/dataset/locate.js';

const saved = process.env.CODESECEVAL_DATASET;
afterEach(() => {
  if (saved === undefined) delete process.env.CODESECEVAL_DATASET;
  else process.env.CODESECEVAL_DATASET = saved;
});

describe('a dataset path that does not exist names where it came from', () => {
  it('the environment variable', () => {
    process.env.CODESECEVAL_DATASET = '/nope/codeseceval';
    expect(() => locateDataset()).toThrow('$CODESECEVAL_DATASET: /nope/codeseceval: no such file or folder');
  });
  it('the flag, which wins over the variable', () => {
    process.env.CODESECEVAL_DATASET = '/also/nope';
    expect(() => locateDataset('/nope/flag')).toThrow('--dataset: /nope/flag: no such file or folder');
    expect(() => openDatasets(['/nope/flag'])).toThrow('--dataset: /nope/flag: no such file or folder');
  });
});
