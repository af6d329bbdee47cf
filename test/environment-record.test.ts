import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../src/benchmarks/index.js';
import { registerEvaluate } from '../src/cli/evaluate.js';
import { EnvironmentFile, environmentDifferences, environmentFileFor } from '../src/core/environment.js';
import type { Dataset } from '../src/core/task.js';
import { evaluateSamples } from '../src/evaluate/evaluate.js';
import { buildReport, renderReport } from '../src/report/index.js';
import type { JsonReport } from '../src/report/json.js';
import { runCliInProcess } from './helpers/cli.js';
import { tempDir } from './helpers/report.js';

/**
 * The environment record beside every results file, resume refusing another environment,
 * `evaluate --rerun` after "installing" a module, and report warnings when records differ.
 * The second interpreter is a virtualenv of the system Python, which is where a user would
 * install what was missing.
 */
const MINI = path.resolve(import.meta.dirname, 'fixtures/codeseceval-mini');
const SYSTEM = '/usr/bin/python3';
const MODULE = 'codeseceval_probe_helpers';

let ds: Dataset;
let dir: string;
let venvPython: string;
beforeAll(() => {
  ds = loadDataset(MINI);
  dir = tempDir('codeseceval-envrec-');
  process.env.CODESECEVAL_CACHE = tempDir('codeseceval-envrec-cache-');
  // The venv is a direct child of /tmp: when tests run as root, samples run as an unprivileged
  // uid, and a prefix nested deeper is reached through a folder the sandbox creates that this
  // uid cannot enter (reported to the sandbox's owner).
  const venv = tempDir('codeseceval-envrec-venv-');
  chmodSync(venv, 0o755);
  execFileSync(SYSTEM, ['-m', 'venv', '--without-pip', '--system-site-packages', venv]);
  venvPython = path.join(venv, 'bin', 'python');
}, 60_000);

const PORT_OK = "def read_port(text):\n    port = int(text)\n    if not 0 < port < 65536:\n        raise ValueError('out of range')\n    return port\n";
const PORT_NEEDS_MODULE = `from ${MODULE} import to_port\n\n\ndef read_port(text):\n    return to_port(text)\n`;
const GREET_OK = "import html\n\ndef greet(name):\n    return '<p>Hello ' + html.escape(name) + '</p>'\n";
const GREET_NETWORK =
  "import html\nimport urllib.request\n\ndef greet(name):\n    urllib.request.urlopen('http://example.com/', timeout=3)\n    return '<p>Hello ' + html.escape(name) + '</p>'\n";

function write(name: string, lines: object[]): string {
  const file = path.join(dir, name);
  writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  return file;
}
const lines = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean);
const envOf = (file: string) => EnvironmentFile.parse(JSON.parse(readFileSync(environmentFileFor(file), 'utf8')));

describe('environment record, resume, --rerun and report warnings', () => {
  const samples = () =>
    write('samples.jsonl', [
      { task_id: 'CWE-020_mini_1', solution: PORT_OK, model: 'm' },
      { task_id: 'CWE-020_mini_1', solution: PORT_NEEDS_MODULE, model: 'm' },
      { task_id: 'CWE-079_mini_1', solution: GREET_OK, model: 'm' },
      { task_id: 'CWE-079_mini_1', solution: GREET_NETWORK, model: 'm' },
    ]);

  it('records the environment; refuses to resume under another interpreter; --rerun replaces only the failed lines', async () => {
    const s = samples();
    const out = path.join(dir, 'results.jsonl');
    // One job: lines are written as samples finish, and this test reads them by position.
    await evaluateSamples({ samplesFile: s, outFile: out, dataset: ds, jobs: 1, python: SYSTEM, timeout: 10 });
    const before = lines(out);
    expect(before.map((l) => JSON.parse(l).status)).toEqual(['passed', 'error', 'passed', 'error']);
    expect(JSON.parse(before[1]!).environment_failure).toEqual({ kind: 'missing-module', module: MODULE, installable: false });
    expect(JSON.parse(before[3]!).environment_failure).toEqual({ kind: 'network' });

    const env = envOf(out);
    expect(env.records).toHaveLength(1);
    expect(env.records[0]!.lines).toEqual([[1, 4]]);
    expect(env.records[0]!.benchmark).toMatchObject({ kind: 'codeseceval', repo: null, commit: null, files: 5 }); // 4 JSON files, 1 fixture
    expect(env.records[0]!.benchmark.content_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(env.records[0]!.packages[MODULE]).toBeNull();

    // One more sample, another interpreter: the kept lines were made elsewhere, so no mixing.
    const more = write('samples-more.jsonl', [
      ...readFileSync(s, 'utf8').trim().split('\n').map((l) => JSON.parse(l)),
      { task_id: 'CWE-020_mini_1', solution: PORT_OK, model: 'm' },
    ]);
    await expect(
      evaluateSamples({ samplesFile: more, outFile: out, dataset: ds, jobs: 2, python: venvPython, timeout: 10 }),
    ).rejects.toThrow(/results\.jsonl was produced under a different environment \(.*interpreter\.path: "\/usr\/bin\/python3" → ".*codeseceval-envrec-venv-.*\/bin\/python".*use --fresh/);
    expect(lines(out)).toEqual(before);

    // The user installs the module into the virtualenv, then re-runs just that line there.
    const site = execFileSync(venvPython, ['-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])'], { encoding: 'utf8' }).trim();
    writeFileSync(path.join(site, `${MODULE}.py`), 'def to_port(text):\n    port = int(text)\n    if not 0 < port < 65536:\n        raise ValueError(text)\n    return port\n');
    const cli = await runCliInProcess(registerEvaluate, ['evaluate', '--out', out, '--rerun', 'missing-module', '--python', venvPython, '--dataset', MINI, '--jobs', '1']);
    expect(cli.exitCode, cli.stderr).toBe(0);
    expect(cli.stderr, lines(out)[1]).toMatch(/1 of 4 lines re-run \(missing-module\): passed 1/);
    const after = lines(out);
    expect(after).toHaveLength(4);
    expect([after[0], after[2], after[3]]).toEqual([before[0], before[2], before[3]]);
    const fixed = JSON.parse(after[1]!);
    expect(fixed).toMatchObject({ status: 'passed', passed: true, sample_index: 1, model: 'm', solution: PORT_NEEDS_MODULE });
    expect(fixed.environment_failure).toBeUndefined();

    const env2 = envOf(out);
    expect(env2.records.map((r) => r.lines)).toEqual([[[1, 1], [3, 4]], [[2, 2]]]);
    expect(env2.records[1]!.interpreter.path).toBe(venvPython);
    expect(env2.records[1]!.packages[MODULE]).not.toBeNull();

    // Nothing left of that kind: a second --rerun changes nothing.
    const again = await runCliInProcess(registerEvaluate, ['evaluate', '--out', out, '--rerun', 'missing-module', '--python', venvPython, '--dataset', MINI]);
    expect(again.stderr).toMatch(/nothing re-run/);
    expect(lines(out)).toEqual(after);

    // The report says the file mixes two environments, and lists what the machine lacked.
    const report = await buildReport({ resultsFiles: [out], dataset: ds });
    expect(report.environmentWarnings).toHaveLength(1);
    expect(report.environmentWarnings[0]!.fields.map((f) => f.field)).toContain('interpreter.path');
    expect(report.environmentFailures.network).toEqual([{ model: 'm', experiment: 'unknown', samples: 1, tasks: ['CWE-079_mini_1'] }]);
  }, 120_000);

  it('bad --rerun input is one clear line', async () => {
    const r = await runCliInProcess(registerEvaluate, ['evaluate', '--out', path.join(dir, 'none.jsonl'), '--rerun', 'timeouts', '--dataset', MINI]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/--rerun: unknown kind "timeouts"; valid: missing-module, network/);
  });

  it('two results files from different interpreters produce a warning in every format', async () => {
    const s = samples();
    const a = path.join(dir, 'system.jsonl');
    const b = path.join(dir, 'venv.jsonl');
    const m2 = write('samples-m2.jsonl', lines(s).map((l) => ({ ...JSON.parse(l), model: 'm2' })));
    await evaluateSamples({ samplesFile: s, outFile: a, dataset: ds, jobs: 1, python: SYSTEM, timeout: 10 });
    await evaluateSamples({ samplesFile: m2, outFile: b, dataset: ds, jobs: 1, python: venvPython, timeout: 10 });
    const diffs = environmentDifferences(envOf(a).records[0]!, envOf(b).records[0]!).map((d) => d.field);
    expect(diffs).toContain('interpreter.path');

    const report = await buildReport({ resultsFiles: [a, b], dataset: ds });
    expect(report.environmentWarnings).toHaveLength(1);
    expect(report.environmentWarnings[0]!.message).toMatch(/system\.jsonl and venv\.jsonl were produced under different environments: .*interpreter\.path/);

    const md = await renderReport(report, 'md');
    expect(md).toMatch(/> \*\*Warning: system\.jsonl and venv\.jsonl were produced under different environments: .*interpreter\.path/);
    expect(md).toMatch(/## Environment/);
    expect(md).toMatch(/## Samples that tried to reach the network/);

    const html = await renderReport(report, 'html');
    expect(html).toMatch(/class="note env-warning"><strong>Warning: system\.jsonl and venv\.jsonl were produced under different environments/);

    const csv = (await renderReport(report, 'csv')).trim().split('\n');
    const header = csv[0]!.split(',');
    expect(header).toContain('environment_warning');
    expect(header.slice(-2)).toEqual(['missing_modules', 'network_samples']);
    expect(csv[1]).toMatch(/interpreter\.path/);

    const json = JSON.parse(await renderReport(report, 'json')) as JsonReport;
    expect(json.environment_warnings[0]!.fields.map((f) => f.field)).toContain('interpreter.path');
    expect(json.environments.map((e) => e.records[0]!.interpreter.path)).toEqual([SYSTEM, venvPython]);
    expect(json.environment_failures.missing_modules).toEqual([
      expect.objectContaining({ module: MODULE, installable: false, samples: 1, runs: [{ run: 'm / unknown', samples: 1 }], debian: null, pip: null }),
    ]);

    // The same interpreter twice: no warning.
    const same = await buildReport({ resultsFiles: [a], dataset: ds });
    expect(same.environmentWarnings).toEqual([]);
  }, 120_000);
});
