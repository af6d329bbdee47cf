import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Benchmark } from '../../core/benchmark.js';
import { sharedBehaviour } from '../base.js';
import { filesBelow } from '../load-shared.js';
import { CODESECEVAL_SUBSETS, isCodeSecEvalFolder, loadCodeSecEval } from './load.js';
import { MANIFEST } from './manifest.js';
import { CODESECEVAL_MODULES } from './modules.js';

export const codeSecEval: Benchmark = {
  kind: 'codeseceval',
  label: 'CodeSecEval',
  subsets: CODESECEVAL_SUBSETS,
  subsetAliases: { base: 'SecEvalBase', plus: 'SecEvalPlus' },
  description: 'CodeSecEval (SecEvalBase + SecEvalPlus): a folder with SecEvalBase/ and SecEvalPlus/',
  datasetEnv: 'CODESECEVAL_DATASET',
  fetch: { manifest: MANIFEST, urlEnv: 'CODESECEVAL_DATASET_URL' },
  modules: CODESECEVAL_MODULES,
  protocol: 'check',
  references: { secure: true, insecure: true },
  recognises: (abs) => isCodeSecEvalFolder(abs),
  load: (abs) => loadCodeSecEval(abs),
  dataFiles: (root) => ({
    root,
    files: CODESECEVAL_SUBSETS.flatMap((s) => (existsSync(path.join(root, s)) ? filesBelow(root, path.join(root, s)) : [])).sort(),
  }),
  ...sharedBehaviour,
};
