import { afterAll, describe, expect, it } from 'vitest';
import { benchmarkOf, loadDataset, preloadFor } from '../src/benchmarks/index.js';
import { CWEVAL_PRELOAD } from '../src/benchmarks/cweval/modules.js';
import { pythonImports, topLevelModule } from '../src/dataset/imports.js';
import { Engine } from '../src/sandbox/engine.js';
import { CWEVAL_DIR, describeWithCweval } from './helpers/datasets.js';
import { makeTask } from './helpers/task.js';

// What the sandbox's runner imports before forking: a benchmark's own list, so a CWEval run
// does not start every runner by importing Flask and SQLAlchemy (docs/benchmarks.md, Speed).

describeWithCweval('CWEval preload list', () => {
  it('covers every module the pinned task and test files import', () => {
    const dataset = loadDataset(CWEVAL_DIR);
    const missing = new Set<string>();
    for (const task of dataset.tasks) {
      for (const text of [task.problem, task.secureCode, task.test]) {
        for (const name of pythonImports(text)) {
          if (topLevelModule(name) === task.module) continue;
          // `from Crypto.PublicKey import RSA` names the package: a listed submodule loads it.
          const covered = CWEVAL_PRELOAD.some((p) => p === name || p.startsWith(`${name}.`));
          if (!covered) missing.add(name);
        }
      }
    }
    expect([...missing]).toEqual([]);
  });
});

describe('preloadFor', () => {
  const cwevalTask = makeTask({ test: '', subset: 'CWEval' });
  const codeSecEvalTask = makeTask({ test: '' });

  it('gives the benchmark\'s own list, once per benchmark', () => {
    expect(preloadFor([cwevalTask, cwevalTask])).toEqual([...benchmarkOf('cweval').preload!]);
  });

  it('leaves the runner\'s default when a benchmark has no list, or there are no tasks', () => {
    expect(benchmarkOf('codeseceval').preload).toBeUndefined();
    expect(preloadFor([cwevalTask, codeSecEvalTask])).toBeUndefined();
    expect(preloadFor([])).toBeUndefined();
  });
});

describe('Engine preload', () => {
  const engines: Engine[] = [];
  afterAll(() => engines.forEach((e) => e.close()));
  // The sample reports, through its verdict, whether Flask was already imported when it started.
  const task = makeTask({ test: 'def check(candidate):\n    assert candidate() == 1\n' });
  const program = 'import sys\nLOADED = "flask" in sys.modules\n\ndef solve():\n    return 1 if LOADED else 0\n';

  it('imports only the named modules (and a little of the standard library) before forking', async () => {
    const engine = new Engine({ jobs: 1, timeoutSec: 20, preload: ['json'] });
    engines.push(engine);
    const [r] = await engine.run([jobOf(task, program)]);
    expect(r!.status).toBe('failed');
  });

  it('imports its default list, Flask included, when none is named', async () => {
    const engine = new Engine({ jobs: 1, timeoutSec: 20 });
    engines.push(engine);
    const [r] = await engine.run([jobOf(task, program)]);
    expect(r!.status, r!.detail).toBe('passed');
  });

  it('refuses a name that is not a module name', () => {
    expect(() => new Engine({ jobs: 1, preload: ['json', 'os;x'] })).toThrow(/not a module name: "os;x"/);
  });
});

function jobOf(task: ReturnType<typeof makeTask>, program: string) {
  return benchmarkOf('codeseceval').job(task, program);
}
