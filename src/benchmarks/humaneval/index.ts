import type { Benchmark } from '../../core/benchmark.js';
import { sharedBehaviour } from '../base.js';
import { humanEvalFile, loadHumanEval } from './load.js';

export const humanEval: Benchmark = {
  kind: 'humaneval',
  subsets: ['HumanEval'],
  description: 'HumanEval format: one .jsonl file (or a folder holding exactly one) of {task_id, prompt, canonical_solution, test, entry_point}',
  recognises: (abs) => humanEvalFile(abs) !== null,
  load: (abs) => loadHumanEval(humanEvalFile(abs) ?? abs),
  ...sharedBehaviour,
};
