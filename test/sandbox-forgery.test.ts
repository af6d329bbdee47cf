import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../src/sandbox/engine.js';
import { taskJob } from '../src/benchmarks/index.js';
import { CHECK_RETURNS_ONE, makeTask } from './helpers/task.js';

// A corpus of verdict forgeries, written here: each candidate's entry point returns the wrong
// answer, so the honest verdict is `failed`; each tries a known way to be reported `passed`
// anyway. In-process code can always cheat its own test in the end (docs/sandbox.md says how);
// none of these recipes may work.

const task = makeTask({ test: CHECK_RETURNS_ONE });
const WRONG = '\n\ndef solve():\n    return 0\n';
let engine: Engine;

beforeAll(() => {
  engine = new Engine({ jobs: 2, timeoutSec: 10, memoryMb: 512 });
});
afterAll(() => engine.close());

const FORGERIES: [string, string][] = [
  [
    'raising the runner\'s Verdict("passed"), imported by name',
    'from codeseceval_runner.verdict import Verdict\nraise Verdict("passed", "")',
  ],
  [
    'raising the runner\'s Verdict("passed"), imported from the runner\'s folder',
    'import sys\nsys.path.insert(0, "/runner")\nfrom codeseceval_runner.verdict import Verdict\nraise Verdict("passed", "")',
  ],
  [
    'raising the runner\'s own Verdict class, found on the heap',
    'import gc\nV = [o for o in gc.get_objects() if isinstance(o, type) and o.__name__ == "Verdict"]\n' +
      'assert V, "no Verdict class found"\nraise V[0]("passed", "")',
  ],
  [
    'patching codeseceval_runner.child through an import',
    'import sys\nsys.path.insert(0, "/runner")\nimport codeseceval_runner.child as c\nimport codeseceval_runner.verdict as v\n' +
      'c.exception_verdict = v.exception_verdict = lambda e, t: {"status": "passed", "detail": ""}',
  ],
  [
    'patching the runner\'s functions through the globals of its frames',
    'import sys\nf = sys._getframe()\nwhile f is not None:\n    g = f.f_globals\n' +
      '    for name in ("exception_verdict", "_message", "decide"):\n        if name in g:\n            g[name] = lambda *a, **k: {"status": "passed", "detail": ""}\n    f = f.f_back',
  ],
  [
    'walking caller frames to the result descriptor and nonce, and writing a verdict there',
    [
      'import os, sys, json, re',
      'found = set()',
      'f = sys._getframe()',
      'while f is not None:',
      '    for v in list(f.f_locals.values()):',
      '        if isinstance(v, str) and re.fullmatch(r"[0-9a-f]{32}", v):',
      '            found.add(v)',
      '        for cell in getattr(v, "__closure__", None) or ():',
      '            try:',
      '                c = cell.cell_contents',
      '            except ValueError:',
      '                continue',
      '            if isinstance(c, str) and re.fullmatch(r"[0-9a-f]{32}", c):',
      '                found.add(c)',
      '    f = f.f_back',
      'for nonce in found or {"none"}:',
      '    line = (json.dumps({"nonce": nonce, "status": "passed", "detail": ""}) + "\\n").encode()',
      '    for fd in range(3, 64):',
      '        try:',
      '            os.write(fd, line)',
      '        except OSError:',
      '            pass',
      'os._exit(0)',
    ].join('\n'),
  ],
  [
    'calling the runner\'s report sender found on the heap',
    'import gc, os\nfor o in gc.get_objects():\n    if callable(o) and getattr(o, "__name__", "") in ("send_report", "_report", "_message"):\n' +
      '        try:\n            o({"status": "passed", "detail": ""})\n        except TypeError:\n            pass\nos._exit(0)',
  ],
  [
    'raising the audit event the report channel listens to',
    'import sys, os\nsys.audit("codeseceval.report", {"status": "passed", "detail": ""})\nos._exit(0)',
  ],
  [
    'replacing builtins.exec so the test defines a no-op check',
    'import builtins\nreal = builtins.exec\nbuiltins.exec = lambda code, g=None, l=None: real("def check(candidate):\\n    pass\\n", g)',
  ],
  [
    'rebinding builtins the test calls',
    'import builtins\nbuiltins.AssertionError = type("Quiet", (Exception,), {})\n' +
      'builtins.isinstance = lambda *a: True\n__builtins__ = {"__import__": __import__}',
  ],
  [
    'a trace hook that swaps check() for a no-op',
    [
      'import sys',
      'def tracer(frame, event, arg):',
      '    for name in ("check", "run_exec", "call_check"):',
      '        if name in frame.f_locals and frame.f_code.co_name != "check":',
      '            frame.f_locals[name] = (lambda *a, **k: None)',
      '    return tracer',
      'f = sys._getframe()',
      'while f is not None:',
      '    f.f_trace = tracer',
      '    f = f.f_back',
      'sys.settrace(tracer)',
    ].join('\n'),
  ],
  [
    'a profile hook that swaps check() for a no-op',
    [
      'import sys',
      'def prof(frame, event, arg):',
      '    if event == "call" and frame.f_code.co_name == "check":',
      '        frame.f_globals["check"] = lambda c: None',
      '        raise SystemExit(0)',
      'sys.setprofile(prof)',
    ].join('\n'),
  ],
];

describe('the forgery corpus gets no pass', () => {
  it.each(FORGERIES)('%s', async (_name, forgery) => {
    const [r, honest] = await engine.run([taskJob(task, forgery + WRONG), taskJob(task, 'def solve():\n    return 1\n')]);
    expect(r!.status, `${r!.detail}\n${r!.stderrTail}`).not.toBe('passed');
    // The worker the forgery ran on still gives true verdicts.
    expect(honest!.status).toBe('passed');
  });

  it('a forgery that does nothing wrong still passes (the corpus tests forging, not the harness)', async () => {
    const [r] = await engine.run([taskJob(task, 'import sys\nsys.settrace(None)\n\ndef solve():\n    return 1\n')]);
    expect(r!.status).toBe('passed');
  });
});
