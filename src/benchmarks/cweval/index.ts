import type { Benchmark, SampleCode } from '../../core/benchmark.js';
import type { ExecJob } from '../../core/exec.js';
import type { Task } from '../../core/task.js';
import { filesBelow } from '../load-shared.js';
import { cwevalTaskDir, cwevalTestFile, loadCweval } from './load.js';
import { CWEVAL_MANIFEST } from './manifest.js';
import { CWEVAL_MODULES, CWEVAL_PRELOAD } from './modules.js';

export const cweval: Benchmark = {
  kind: 'cweval',
  label: 'CWEval',
  subsets: ['CWEval'],
  subsetAliases: {},
  description: 'CWEval (Python core tasks): a folder with benchmark/core/py/cwe_NNN_i_task.py and their pytest files',
  datasetEnv: 'CODESECEVAL_CWEVAL',
  fetch: { manifest: CWEVAL_MANIFEST, urlEnv: null },
  modules: CWEVAL_MODULES,
  preload: CWEVAL_PRELOAD,
  protocol: 'pytest',
  references: { secure: true, insecure: false },
  recognises: (abs) => cwevalTaskDir(abs) !== null,
  load: (abs) => loadCweval(abs),
  dataFiles(root) {
    const dir = cwevalTaskDir(root) ?? root;
    return { root, files: filesBelow(root, dir).filter((f) => f.endsWith('.py') || f.endsWith('.ini')) };
  },
  fixtures: () => null,
  program(task: Task, sample: SampleCode): string {
    return sample.solution ?? task.problem + (sample.completion ?? '');
  },
  job(task: Task, program: string, opts: { timeoutSec?: number | undefined; soft?: boolean } = {}): ExecJob {
    const module = task.module ?? `${task.id}_task`;
    return {
      harness: 'test-file',
      framework: 'pytest',
      module,
      testFile: cwevalTestFile(module),
      test: task.test,
      program,
      fixtureName: task.fixtureName,
      fixtures: null,
      ...(opts.timeoutSec !== undefined ? { timeoutSec: opts.timeoutSec } : {}),
    };
  },
};
