import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestFileJob } from '../src/core/exec.js';
import { Engine } from '../src/sandbox/engine.js';

// Verdict forgeries against a pytest test-file job (CWEval's harness). The runner prepares
// pytest's Config in the zygote (testfile.prepare_pytest) and each sample's run starts from
// its copy: a candidate that finds that copy and steers it must not get a pass, nor may the
// cheap ways to stop or narrow pytest's run. Each forgery's `solve` is wrong; the honest
// verdict is `failed`. (In-process code can always cheat its own test in the end: docs/sandbox.md.)

const TEST_FILE = [
  'import pytest',
  'from forge_task import solve',
  '',
  '',
  '@pytest.mark.parametrize("x", [pytest.param(1, marks=pytest.mark.functionality), pytest.param(2, marks=pytest.mark.security)])',
  'def test_solve(x):',
  '    assert solve(x) == 2 * x',
  '',
].join('\n');

const WRONG = '\n\ndef solve(x):\n    return 0\n';
const RIGHT = '\n\ndef solve(x):\n    return 2 * x\n';

function job(program: string): TestFileJob {
  return { harness: 'test-file', framework: 'pytest', module: 'forge_task', testFile: 'forge_test.py', test: TEST_FILE, program, fixtureName: 'forge', fixtures: null };
}

// Finds the prepared Config in the runner's frames. When it finds none, `solve` is right, so
// the forgery "passes" and the test below fails: the corpus must really reach the Config.
const FIND_CONFIG = [
  'import sys',
  'found = None',
  'f = sys._getframe()',
  'while f is not None and found is None:',
  '    for v in list(f.f_locals.values()) + list(f.f_globals.values()):',
  '        for c in (v if isinstance(v, (tuple, list)) else (v,)):',
  '            if type(c).__name__ == "Config" and hasattr(c, "pluginmanager"):',
  '                found = c',
  '    f = f.f_back',
].join('\n');

const STEERED = (steer: string) =>
  `${FIND_CONFIG}\nif found is not None:\n${steer.split('\n').map((l) => `    ${l}`).join('\n')}\n` +
  'def solve(x):\n    return 0 if found is not None else 2 * x\n';

const FORGERIES: [string, string][] = [
  ['calling pytest.exit() from the candidate', `import pytest${WRONG}`.replace('return 0', 'pytest.exit("done", returncode=0)')],
  ['narrowing the run through PYTEST_ADDOPTS', `import os\nos.environ["PYTEST_ADDOPTS"] = "-k nothing_is_called_this"${WRONG}`],
  ['loading a plugin through PYTEST_PLUGINS', `import os\nos.environ["PYTEST_PLUGINS"] = "forge_task"\nimport pytest\n@pytest.hookimpl(hookwrapper=True)\ndef pytest_runtest_makereport(item, call):\n    o = yield\n    o.get_result().outcome = "passed"${WRONG}`],
  [
    'registering a plugin on the prepared Config that rewrites every report as passed',
    STEERED(
      [
        'import pytest',
        'class Forge:',
        '    @pytest.hookimpl(hookwrapper=True)',
        '    def pytest_runtest_makereport(self, item, call):',
        '        o = yield',
        '        o.get_result().outcome = "passed"',
        'found.pluginmanager.register(Forge(), "forge")',
      ].join('\n'),
    ),
  ],
  ['deselecting every case through the prepared Config\'s options', STEERED('found.option.keyword = "nothing_is_called_this"')],
  ['overriding addopts in the prepared Config\'s ini cache', STEERED('found._inicache["addopts"] = ["-k", "nothing_is_called_this"]')],
];

let engine: Engine;
beforeAll(() => {
  engine = new Engine({ jobs: 2, timeoutSec: 20, memoryMb: 512, preload: ['pytest'] });
});
afterAll(() => engine.close());

describe('test-file forgeries get no pass', () => {
  it.each(FORGERIES)('%s', async (_name, forgery) => {
    const [r, honest] = await engine.run([job(forgery), job(RIGHT)]);
    expect(r!.status, `${r!.detail}\n${r!.stderrTail}`).not.toBe('passed');
    expect(honest!.status).toBe('passed');
  });

  it('a wrong candidate fails and a right one passes, each case with its role', async () => {
    const [wrong, right] = await engine.run([job(WRONG), job(RIGHT)]);
    expect(wrong!.status).toBe('failed');
    expect(right!.cases!.map((c) => [c.role, c.outcome])).toEqual([
      ['functionality', 'passed'],
      ['security', 'passed'],
    ]);
  });

  it('a case the session never reached is an error, not a pass', async () => {
    const [r] = await engine.run([job(`import pytest${WRONG}`.replace('return 0', 'pytest.exit("done", returncode=0)'))]);
    expect(r!.cases!.map((c) => c.outcome)).not.toContain('passed');
    expect(r!.detail).toMatch(/never ran|failed/);
  });
});
