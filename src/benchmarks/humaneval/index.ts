import path from 'node:path';
import type { Benchmark } from '../../core/benchmark.js';
import { sharedBehaviour } from '../base.js';
import { humanEvalFile, loadHumanEval } from './load.js';

export const humanEval: Benchmark = {
  kind: 'humaneval',
  label: 'HumanEval',
  subsets: ['HumanEval'],
  subsetAliases: {},
  description: 'HumanEval format: one .jsonl file (or a folder holding exactly one) of {task_id, prompt, canonical_solution, test, entry_point}',
  datasetEnv: 'CODESECEVAL_HUMANEVAL',
  fetch: null,
  modules: {},
  protocol: 'check',
  references: { secure: true, insecure: false },
  recognises: (abs) => humanEvalFile(abs) !== null,
  load: (abs) => loadHumanEval(humanEvalFile(abs) ?? abs),
  // The loaded source is the .jsonl file itself: that one file is all its content.
  dataFiles: (source) => ({ root: path.dirname(source), files: [path.basename(source)] }),
  ...sharedBehaviour,
};
