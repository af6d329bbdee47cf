import path from 'node:path';
import type { Benchmark, SampleCode } from '../../core/benchmark.js';
import type { ExecJob, FixtureSet } from '../../core/exec.js';
import type { Task } from '../../core/task.js';
import { packageFile } from '../../io/paths.js';
import { readFixtureSet } from '../fixtures.js';
import { filesBelow } from '../load-shared.js';
import { SALLM_FOLDER, SALLM_TECHNIQUES, isSallmFolder, sallmBase, isSallmTaskFile, loadSallm, modulesIn, sallmTestFile } from './load.js';
import { SALLM_MANIFEST } from './manifest.js';
import { SALLM_MODULES } from './modules.js';

const modulesOfDir = new Map<string, Set<string>>();

export const sallm: Benchmark = {
  kind: 'sallm',
  label: 'SALLM',
  subsets: SALLM_TECHNIQUES,
  subsetAliases: {},
  description: 'SALLM (Assertion, Tainted, Matching): a folder with PythonDataset/dataset.jsonl (or that PythonDataset folder) and its unittest files',
  datasetEnv: 'CODESECEVAL_SALLM',
  fetch: { manifest: SALLM_MANIFEST, urlEnv: null },
  modules: SALLM_MODULES,
  protocol: 'unittest',
  // SALLM's own scripts send the prompt itself as the user message (Generation/gpt_model.py)
  // and ask for code only in a system message (its Gemini and Ollama scripts).
  prompts: packageFile('benchmarks', 'sallm', 'prompts'),
  references: { secure: false, insecure: true },
  recognises: (abs) => isSallmFolder(abs),
  load: (abs) => loadSallm(abs),
  dataFiles: (root) => ({ root, files: filesBelow(root, sallmBase(root) ?? path.join(root, SALLM_FOLDER)) }),
  fixtures(task: Task): FixtureSet | null {
    if (!task.fixtureDir) return null;
    const dir = task.fixtureDir;
    let modules = modulesOfDir.get(dir);
    if (!modules) modulesOfDir.set(dir, (modules = modulesIn(dir)));
    const own = modules;
    const set = readFixtureSet(dir, { key: 'sallm-shared', topLevel: (name) => isSallmTaskFile(name, own) });
    return set.files.length ? set : null;
  },
  program(task: Task, sample: SampleCode): string {
    return sample.solution ?? task.problem + (sample.completion ?? '');
  },
  job(task: Task, program: string, opts: { timeoutSec?: number | undefined; soft?: boolean } = {}): ExecJob {
    const module = task.module ?? task.entryPoint;
    return {
      harness: 'test-file',
      framework: 'unittest',
      module,
      testFile: sallmTestFile(module),
      test: task.test,
      program,
      fixtureName: task.fixtureName,
      fixtures: this.fixtures(task),
      ...(opts.timeoutSec !== undefined ? { timeoutSec: opts.timeoutSec } : {}),
    };
  },
};
