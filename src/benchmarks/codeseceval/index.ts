import type { Benchmark } from '../../core/benchmark.js';
import { sharedBehaviour } from '../base.js';
import { CODESECEVAL_SUBSETS, isCodeSecEvalFolder, loadCodeSecEval } from './load.js';

export const codeSecEval: Benchmark = {
  kind: 'codeseceval',
  subsets: CODESECEVAL_SUBSETS,
  description: 'CodeSecEval (SecEvalBase + SecEvalPlus): a folder with SecEvalBase/ and SecEvalPlus/',
  recognises: (abs) => isCodeSecEvalFolder(abs),
  load: (abs) => loadCodeSecEval(abs),
  ...sharedBehaviour,
};
