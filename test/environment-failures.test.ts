import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateSamples } from '../src/evaluate/evaluate.js';
import { environmentFailureOf, isInstallable, MODULE_PACKAGES, packageFor } from '../src/evaluate/modules.js';
import { EnvironmentFile, environmentFileFor } from '../src/core/environment.js';
import { ResultLine } from '../src/core/result.js';
import type { Dataset, Task } from '../src/core/task.js';
import { makeTask } from './helpers/task.js';

/**
 * Programs the way chat models write them (main blocks, servers, prompts for input, imports
 * of what the machine may lack, network calls), each run through `evaluate` as users run it.
 */
const dir = mkdtempSync(path.join(os.tmpdir(), 'codeseceval-envfail-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PYTHON = '/usr/bin/python3';
const TIMEOUT = 10;

/** A module from the table that this interpreter does not have (so it must be reported installable). */
function missingTableModule(): string | null {
  for (const m of ['scipy', 'pandas', 'numpy', 'bcrypt', 'paramiko', 'django', 'sqlalchemy', 'sklearn', 'redis', 'pymongo']) {
    try {
      execFileSync(PYTHON, ['-s', '-c', `import ${m}`], { stdio: 'ignore' });
    } catch {
      return m;
    }
  }
  return null;
}

const tasks: Task[] = [
  makeTask({
    id: 'T/flask',
    fixtureName: 'T_flask',
    entryPoint: 'hello',
    test: [
      'def check(candidate):',
      '    assert candidate() == "hi"',
      '    client = app.test_client()',
      '    assert client.get("/").data == b"hi"',
      '',
    ].join('\n'),
  }),
  makeTask({ id: 'T/loop', fixtureName: 'T_loop', entryPoint: 'double', test: 'def check(candidate):\n    assert candidate(4) == 8\n' }),
  makeTask({ id: 'T/yaml', fixtureName: 'T_yaml', entryPoint: 'parse', test: 'def check(candidate):\n    assert candidate("a: 1") == {"a": 1}\n' }),
  makeTask({ id: 'T/fetch', fixtureName: 'T_fetch', entryPoint: 'fetch', test: 'def check(candidate):\n    assert candidate("http://example.com/") != ""\n' }),
];
const dataset: Dataset = { kind: 'codeseceval', source: 'environment-failures-test', tasks, byId: new Map(tasks.map((t) => [t.id, t])) };

const FLASK_APP = `from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello():
    return "hi"


if __name__ == "__main__":
    app.run(debug=True)
`;

const LOOP = `def double(x):
    return 2 * x


if __name__ == "__main__":
    while True:
        print(double(int(input("number: "))))
`;

const INPUT_AT_TOP = `name = input("Enter a number: ")


def double(x):
    return 2 * x
`;

const YAML_OK = `import yaml


def parse(text):
    return yaml.safe_load(text)
`;

const importOf = (module: string) => `import ${module}


def parse(text):
    return {"a": 1}
`;

const NETWORK = `import urllib.request


def fetch(url):
    with urllib.request.urlopen(url, timeout=5) as r:
        return r.read().decode()
`;

describe('evaluate: programs as chat models write them', () => {
  let results: ResultLine[] = [];
  let out = '';
  const missing = missingTableModule();

  beforeAll(async () => {
    const samples = [
      { task_id: 'T/flask', solution: FLASK_APP, case: 'flask app.run() under a main guard' },
      { task_id: 'T/loop', solution: LOOP, case: 'while True under a main guard' },
      { task_id: 'T/loop', solution: INPUT_AT_TOP, case: 'input() at module level' },
      { task_id: 'T/yaml', solution: YAML_OK, case: 'installed module' },
      { task_id: 'T/yaml', solution: importOf(missing ?? 'scipy'), case: 'missing module from the table' },
      { task_id: 'T/yaml', solution: importOf('securehashlib_pro'), case: 'invented module' },
      { task_id: 'T/fetch', solution: NETWORK, case: 'network call' },
    ];
    const file = path.join(dir, 'samples.jsonl');
    writeFileSync(file, samples.map((s) => JSON.stringify(s)).join('\n') + '\n');
    out = path.join(dir, 'results.jsonl');
    await evaluateSamples({ samplesFile: file, outFile: out, dataset, jobs: 3, timeout: TIMEOUT, timeoutSec: TIMEOUT, python: PYTHON });
    results = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => ResultLine.parse(JSON.parse(l)));
  }, 120_000);

  const byCase = (c: string) => results.find((r) => r['case'] === c)!;

  it('never runs a main block: the Flask app and the endless loop pass their tests', () => {
    for (const c of ['flask app.run() under a main guard', 'while True under a main guard']) {
      const r = byCase(c);
      expect(r.status, `${c}: ${r.detail}`).toBe('passed');
      expect(r.environment_failure).toBeUndefined();
    }
  });

  it('a module-level input() fails at once (no stdin), not by timeout', () => {
    const r = byCase('input() at module level');
    expect(r.status).toBe('error');
    expect(r.detail).toMatch(/EOFError/);
    expect(r.environment_failure).toBeUndefined();
  });

  it('an installed module works; a missing one keeps its status and is named, installable or not', () => {
    expect(byCase('installed module').status).toBe('passed');
    const table = byCase('missing module from the table');
    expect(table.passed).toBe(false);
    expect(table.status).toBe('error');
    expect(table.environment_failure).toEqual({ kind: 'missing-module', module: missing ?? 'scipy', installable: true });
    const invented = byCase('invented module');
    expect(invented.status).toBe('error');
    expect(invented.environment_failure).toEqual({ kind: 'missing-module', module: 'securehashlib_pro', installable: false });
  });

  it('a network call is marked as such', () => {
    const r = byCase('network call');
    expect(r.passed).toBe(false);
    expect(r.environment_failure).toEqual({ kind: 'network' });
  });

  it('every verdict comes well under the timeout', () => {
    expect(results).toHaveLength(7);
    for (const r of results) expect(r.duration_ms, String(r['case'])).toBeLessThan((TIMEOUT * 1000) / 2);
  });

  it('writes the environment record next to the results', () => {
    const env = EnvironmentFile.parse(JSON.parse(readFileSync(environmentFileFor(out), 'utf8')));
    expect(env.records).toHaveLength(1);
    const rec = env.records[0]!;
    expect(rec.lines).toEqual([[1, 7]]);
    expect(rec.interpreter.path).toBe(PYTHON);
    expect(rec.interpreter.version).toMatch(/^3\.\d+\.\d+$/);
    expect(rec.sandbox).toMatchObject({ backend: 'bwrap', timeout: TIMEOUT, memory_mb: 2048, jobs: 3, soft: false });
    // Imported by the samples: flask and yaml are there with versions, the invented one is not.
    expect(rec.packages['flask']?.version).toMatch(/^\d/);
    expect(rec.packages['yaml']?.distribution).toBe('PyYAML');
    expect(rec.packages['securehashlib_pro']).toBeNull();
    // The standard library is not listed as packages.
    expect(rec.packages).not.toHaveProperty('urllib');
    expect(rec.tool.name).toBe('codeseceval');
  });
});

describe('module table', () => {
  it('maps import names to Debian and pip names', () => {
    expect(packageFor('yaml')).toMatchObject({ debian: 'python3-yaml', pip: 'PyYAML' });
    expect(packageFor('PIL')).toMatchObject({ debian: 'python3-pil', pip: 'pillow' });
    expect(packageFor('ldap')).toMatchObject({ debian: 'python3-ldap', pip: 'python-ldap' });
    expect(packageFor('mysql.connector')).toMatchObject({ debian: null, pip: 'mysql-connector-python' });
    expect(Object.keys(MODULE_PACKAGES).length).toBeGreaterThanOrEqual(60);
  });

  it('tells installable from unknown, using the interpreter’s standard library', () => {
    const known = { stdlib: new Set(['tkinter', 'xml', 'os']) };
    expect(isInstallable('scipy', known)).toBe(true);
    expect(isInstallable('tkinter', known)).toBe(true);
    expect(isInstallable('xml.etree.cElementTree', known)).toBe(false);
    expect(isInstallable('flask.ext', known)).toBe(false);
    expect(isInstallable('mysql.connector', known)).toBe(true);
    expect(isInstallable('quantum_crypto_utils', known)).toBe(false);
  });

  it('gives no environment failure to a passing sample, and names a missing module before a network attempt', () => {
    const base = { detail: '', durationMs: 1, stdoutTail: '', stderrTail: '' };
    expect(environmentFailureOf({ ...base, status: 'passed', network: true })).toBeUndefined();
    expect(environmentFailureOf({ ...base, status: 'error', missingModule: 'numpy', network: true })).toEqual({
      kind: 'missing-module',
      module: 'numpy',
      installable: true,
    });
    expect(environmentFailureOf({ ...base, status: 'failed', network: true })).toEqual({ kind: 'network' });
  });
});
