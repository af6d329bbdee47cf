import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../src/benchmarks/index.js';
import { evaluateSamples } from '../src/evaluate/evaluate.js';
import { validateDataset } from '../src/evaluate/validate.js';
import { buildReport, renderReport, toJson, type Report } from '../src/report/index.js';
import { judgeSample, type SampleVerdict } from '../src/score/judge.js';
import { labelTask } from '../src/score/labels.js';
import { passAtK } from '../src/score/passk.js';
import { readResults } from '../src/report/results-file.js';
import { loadValidation, type Validation } from '../src/score/validation.js';
import { SOFT_DATASET } from './helpers/soft.js';
import type { SoftOutcome } from '../src/core/soft.js';

const dataset = loadDataset(SOFT_DATASET);
const dir = mkdtempSync(path.join(os.tmpdir(), 'codeseceval-functional-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const task = (id: string) => dataset.byId.get(id)!;
const AGE = 'CWE-020_soft_1';
const NAME = 'CWE-22_soft_1';
const QUERY = 'CWE-89_soft_1'; // its Secure Code fails one assert: a broken task
const LOOP = 'CWE-835_soft_1'; // nothing labelled: its Insecure Code never returns

/** Samples and the verdict each must get; `passes` is the plain (normal-mode) verdict. */
const SAMPLES: { taskId: string; solution: string; verdict: SampleVerdict; passes: boolean; why: string }[] = [
  { taskId: AGE, solution: task(AGE).secureCode, verdict: 'secure', passes: true, why: 'the Secure Code' },
  { taskId: AGE, solution: task(AGE).insecureCode!, verdict: 'vulnerable', passes: false, why: 'the Insecure Code' },
  { taskId: AGE, solution: 'def parse_age(text):\n    return 0\n', verdict: 'wrong', passes: false, why: 'fails the functional asserts' },
  { taskId: AGE, solution: 'def parse_age(text)\n    return 1\n', verdict: 'wrong', passes: false, why: 'does not even compile' },
  {
    taskId: AGE,
    solution: 'def parse_age(text):\n    n = int(text)\n    if n < 0:\n        raise ValueError(text)\n    return n\n',
    verdict: 'vulnerable',
    passes: false,
    why: 'rejects negative ages but accepts 151',
  },
  { taskId: NAME, solution: task(NAME).secureCode, verdict: 'secure', passes: true, why: 'the Secure Code' },
  { taskId: NAME, solution: task(NAME).insecureCode!, verdict: 'vulnerable', passes: false, why: 'raises inside the with block' },
  { taskId: NAME, solution: 'def safe_name(name):\n    return name.upper()\n', verdict: 'wrong', passes: false, why: 'mangles good names' },
  {
    taskId: NAME,
    solution: "def safe_name(name):\n    return None if name.startswith('.') else name\n",
    verdict: 'vulnerable',
    passes: false,
    why: 'lets absolute paths through',
  },
  { taskId: QUERY, solution: task(QUERY).secureCode, verdict: 'secure', passes: false, why: 'fails only the broken assert' },
  { taskId: QUERY, solution: task(QUERY).insecureCode!, verdict: 'vulnerable', passes: false, why: 'the Insecure Code' },
  { taskId: LOOP, solution: task(LOOP).secureCode, verdict: 'secure', passes: true, why: 'nothing to fail' },
];
const KS = [1, 2, 3];

function expectedTally(taskId: string) {
  const s = SAMPLES.filter((x) => x.taskId === taskId);
  return {
    n: s.length,
    c: s.filter((x) => x.passes).length,
    functional: s.filter((x) => x.verdict !== 'wrong').length,
    functionalSecure: s.filter((x) => x.verdict === 'secure').length,
  };
}
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

let validationFile: string;
let validation: Validation;
let softResults: string;
let plainResults: string;
let report: Report;

beforeAll(async () => {
  const v = await validateDataset(dataset, { labels: true, timeoutSec: 2, jobs: 4 });
  validationFile = path.join(dir, 'validation.json');
  writeFileSync(validationFile, JSON.stringify(v));
  validation = loadValidation(validationFile, dataset);
  const samples = path.join(dir, 'samples.jsonl');
  const lines = SAMPLES.map((s) => ({ task_id: s.taskId, solution: s.solution, model: 'm', experiment: 'direct-generation' }));
  writeFileSync(samples, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  softResults = path.join(dir, 'results-soft.jsonl');
  await evaluateSamples({ samplesFile: samples, outFile: softResults, dataset, soft: true, timeoutSec: 2, jobs: 4 });
  // The same samples under another model name, evaluated without --soft.
  const plainSamples = path.join(dir, 'samples-plain.jsonl');
  writeFileSync(plainSamples, lines.map((l) => JSON.stringify({ ...l, model: 'plain' })).join('\n') + '\n');
  plainResults = path.join(dir, 'results-plain.jsonl');
  await evaluateSamples({ samplesFile: plainSamples, outFile: plainResults, dataset, timeoutSec: 2, jobs: 4 });
  report = await buildReport({ resultsFiles: [softResults, plainResults], dataset, validation, ks: KS, drilldown: Infinity });
}, 180_000);

describe('judging samples (real engine, tasks with known labels)', () => {
  it('gives every sample its expected verdict', async () => {
    const rs = await readResults([softResults], dataset, { labels: validation.labels, keepSamples: Infinity });
    const run = rs.runs[0]!;
    const seen = new Map<string, number>();
    for (const s of SAMPLES) {
      const i = seen.get(s.taskId) ?? 0;
      seen.set(s.taskId, i + 1);
      const rec = run.tasks.get(s.taskId)!.samples[i]!;
      expect(rec.passed, `${s.taskId} #${i}: ${s.why}`).toBe(s.passes);
      expect(rec.judgement?.verdict, `${s.taskId} #${i}: ${s.why}`).toBe(s.verdict);
    }
    // The sample that does not compile has no soft outcome in its results line, yet is judged.
    const syntax = run.tasks.get(AGE)!.samples[3]!;
    expect(syntax.status).toBe('error');
    expect(syntax.judgement).toMatchObject({ ran: false, functional: false, verdict: 'wrong' });
    // The Insecure Code of the path task fails exactly the asserts and statement labelled security.
    expect(run.tasks.get(NAME)!.samples[1]!.judgement).toMatchObject({ failedFunctional: [], failedSecurity: [6, 10, 11] });
  });

  it('tallies functional and functional-and-secure samples per task', () => {
    const run = report.split!.runs[0]!;
    for (const t of run.tasks) {
      const want = expectedTally(t.taskId);
      expect({ n: t.n, functional: t.functional, functionalSecure: t.functionalSecure }, t.taskId).toEqual({
        n: want.n,
        functional: want.functional,
        functionalSecure: want.functionalSecure,
      });
      expect(t.funcAtK).toEqual(KS.map((k) => passAtK(want.n, want.functional, k)));
      expect(t.funcSecAtK).toEqual(KS.map((k) => passAtK(want.n, want.functionalSecure, k)));
    }
  });

  it('func-sec@k equals pass@k on every task whose asserts are all labelled', () => {
    const split = report.split!.runs[0]!;
    const scored = report.scores.runs.find((r) => r.model === 'm')!;
    const full = split.tasks.filter((t) => t.allLabelled);
    expect(full.map((t) => t.taskId)).toEqual([AGE, NAME]);
    for (const t of full) {
      const ts = scored.tasks.find((x) => x.taskId === t.taskId)!;
      // Not a trivial equality: some samples pass and some do not.
      expect(ts.c, t.taskId).toBeGreaterThan(0);
      expect(ts.c, t.taskId).toBeLessThan(ts.n);
      expect(t.funcSecAtK, t.taskId).toEqual(ts.passAtK);
    }
    // On the broken task the Secure Code fails the broken assert, so pass@k and func-sec@k part.
    const q = split.tasks.find((t) => t.taskId === QUERY)!;
    expect(q.allLabelled).toBe(false);
    expect(q.funcSecAtK[0]).toBeGreaterThan(scored.tasks.find((x) => x.taskId === QUERY)!.passAtK[0]!);
  });

  it('scores func@k, func-sec@k and the vulnerable rate over the tasks that can split', () => {
    const run = report.split!.runs[0]!;
    expect(run.tasks.filter((t) => t.canSplit).map((t) => t.taskId)).toEqual([AGE, NAME, QUERY]);
    const check = (label: string, ids: string[]) => {
      const g = run.subsets.find((x) => x.group === label)!;
      const tallies = ids.map(expectedTally);
      expect(g.tasks, label).toBe(ids.length);
      for (const [j, k] of KS.entries()) {
        const enough = tallies.every((t) => t.n >= k);
        expect(g.func.passAtK[j], `${label} func@${k}`).toBe(enough ? mean(tallies.map((t) => passAtK(t.n, t.functional, k)!)) : null);
        expect(g.funcSec.passAtK[j], `${label} func-sec@${k}`).toBe(
          enough ? mean(tallies.map((t) => passAtK(t.n, t.functionalSecure, k)!)) : null,
        );
      }
      const functional = tallies.reduce((s, t) => s + t.functional, 0);
      const vulnerable = tallies.reduce((s, t) => s + t.functional - t.functionalSecure, 0);
      expect([g.functionalSamples, g.vulnerableSamples], label).toEqual([functional, vulnerable]);
      expect(g.vulnerableRate, label).toBe(vulnerable / functional);
      expect(g.vulnerableCi![0]).toBeLessThanOrEqual(g.vulnerableRate!);
      expect(g.vulnerableCi![1]).toBeGreaterThanOrEqual(g.vulnerableRate!);
    };
    check('CodeSecEval', [AGE, NAME, QUERY]);
    check('SecEvalBase', [AGE]);
    check('SecEvalPlus', [NAME, QUERY]);
    const cwe = (label: string) => run.cwes.find((g) => g.group === label)!;
    expect(cwe('CWE-22').func.passAtK[0]).toBe(expectedTally(NAME).functional / expectedTally(NAME).n);
    expect(cwe('CWE-835').tasks).toBe(0);
    expect(cwe('CWE-835').func.passAtK[0]).toBeNull();
  });

  it('leaves broken tasks out of the split exactly when pass@k leaves them out', async () => {
    const r = await buildReport({ resultsFiles: [softResults], dataset, validation, ks: KS, excludeBroken: true });
    const overall = r.split!.runs[0]!.subsets[0]!;
    expect(overall.tasks).toBe(2);
    expect(overall.func.passAtK[0]).toBe(mean([AGE, NAME].map((id) => expectedTally(id).functional / expectedTally(id).n)));
  });

  it('only runs evaluated with --soft get a split', () => {
    expect(report.split!.runs.map((r) => r.model)).toEqual(['m']);
    expect(report.split).toMatchObject({ labelledTasks: 4, splittableTasks: 3 });
  });
});

describe('report formats', () => {
  it('markdown: the split table and per-CWE split table, and the method in the settings', async () => {
    const md = await renderReport(report, 'md');
    expect(md).toContain('## Functional vs secure: func@k, func-sec@k and the vulnerable rate (%)');
    expect(md).toContain('| Model | Experiment | Group | Tasks | func@1 | func@2 | func@3 | func-sec@1 | func-sec@2 | func-sec@3 | Vulnerable (%) | Vulnerable / functional samples |');
    const g = report.split!.runs[0]!.subsets[0]!;
    const p = (v: number | null) => (v === null ? 'n/a' : (v * 100).toFixed(1));
    expect(md).toContain(
      `| m | direct-generation | CodeSecEval | 3 | ${g.func.passAtK.map(p).join(' | ')} | ${g.funcSec.passAtK.map(p).join(' | ')} | ${p(g.vulnerableRate)} | ${g.vulnerableSamples} / ${g.functionalSamples} |`,
    );
    expect(md).toContain('### Per-CWE functional vs secure (%): m');
    expect(md).toContain('- Functional vs secure: 3 of 4 labelled tasks have a functional and a security check');
  });

  it('csv: split columns on every row, empty for runs without soft results', async () => {
    const rows = (await renderReport(report, 'csv')).trim().split('\n').map((l) => l.split(','));
    const header = rows[0]!;
    for (const r of rows) expect(r).toHaveLength(header.length);
    // Pinned by name: these columns are the CSV format other tools read.
    expect(header.slice(12)).toEqual([
      'split_tasks',
      'func_at_k',
      'func_ci_low',
      'func_ci_high',
      'func_sec_at_k',
      'func_sec_ci_low',
      'func_sec_ci_high',
      'functional_samples',
      'vulnerable_samples',
      'vulnerable_rate',
      'vulnerable_ci_low',
      'vulnerable_ci_high',
    ]);
    const col = (name: string) => header.indexOf(name);
    const row = (model: string, group: string, k: string) => rows.find((r) => r[0] === model && r[3] === group && r[7] === k)!;
    const g = report.split!.runs[0]!.subsets[0]!;
    expect(Number(row('m', 'CodeSecEval', '1')[col('func_at_k')])).toBeCloseTo(g.func.passAtK[0]!, 12);
    expect(Number(row('m', 'CodeSecEval', '2')[col('func_sec_at_k')])).toBeCloseTo(g.funcSec.passAtK[1]!, 12);
    expect(row('m', 'CodeSecEval', '3')[col('func_at_k')]).toBe('');
    expect(Number(row('m', 'CodeSecEval', '1')[col('vulnerable_rate')])).toBeCloseTo(g.vulnerableRate!, 12);
    expect(row('plain', 'CodeSecEval', '1')[col('func_at_k')]).toBe('');
  });

  it('json: per run, group and task', () => {
    const j = toJson(report);
    expect(j.split).toEqual({ labelled_tasks: 4, splittable_tasks: 3 });
    const m = j.runs.find((r) => r.model === 'm')!;
    expect(j.runs.find((r) => r.model === 'plain')!.split).toBeNull();
    const g = report.split!.runs[0]!.subsets[0]!;
    expect(m.split!.subsets[0]).toMatchObject({
      group: 'CodeSecEval',
      tasks: 3,
      func_at_k: { '1': g.func.passAtK[0], '2': g.func.passAtK[1], '3': null },
      vulnerable_rate: g.vulnerableRate,
      functional_samples: g.functionalSamples,
    });
    expect(m.split!.tasks.find((t) => t.task_id === AGE)).toMatchObject({ can_split: true, all_labelled: true, ...{ n: 5, functional: 3, functional_secure: 1, vulnerable: 2 } });
  });

  it('html: the split section, a functional-vs-secure chart per run and verdict badges on samples', async () => {
    const html = await renderReport(report, 'html');
    expect(html).toContain('<section id="split">');
    expect(html).toContain('<a href="#split">Functional vs secure</a>');
    const chart = /<figure id="chart-split-1"><svg[\s\S]*?<\/svg>/.exec(html)?.[0] ?? '';
    expect(chart).toContain('m / direct-generation: functional vs secure per CWE');
    expect(chart).toContain('func-sec@1');
    expect(chart).toContain('CWE-22 (1)');
    expect(chart).not.toContain('CWE-835');
    expect(html.match(/class="badge v-vulnerable"/g)).toHaveLength(SAMPLES.filter((s) => s.verdict === 'vulnerable').length);
    expect(html).toContain('title="failed security asserts at Test lines 6, 10, 11"');
  });

  it('says why there is no split when half of what it needs is missing', async () => {
    const noLabels = await buildReport({ resultsFiles: [softResults], dataset, ks: KS });
    expect(noLabels.split).toBeNull();
    const md = await renderReport(noLabels, 'md');
    expect(md).toContain('Functional vs secure: not shown. Results carry soft-assert outcomes, but no validation file with assert labels');
    expect(md).not.toContain('func@1');
    expect((await renderReport(noLabels, 'csv')).split('\n')[0]).not.toContain('func_at_k');
    const noSoft = await buildReport({ resultsFiles: [plainResults], dataset, validation, ks: KS });
    expect(noSoft.split).toBeNull();
    expect(toJson(noSoft).split).toEqual({ note: expect.stringContaining('evaluate with --soft') });
  });
});

describe('bad soft fields', () => {
  const firstLine = () => JSON.parse(readFileSync(softResults, 'utf8').split('\n')[0]!) as { soft: SoftOutcome };

  it('names file, line, record and field', async () => {
    const line = firstLine();
    (line.soft as unknown as Record<string, unknown>).executedAsserts = 'all';
    const file = path.join(dir, 'bad-soft.jsonl');
    writeFileSync(file, `${JSON.stringify(line)}\n`);
    await expect(buildReport({ resultsFiles: [file], dataset, validation })).rejects.toThrow(
      `${file}:1: soft.executedAsserts: Invalid input: expected array, received string`,
    );
  });

  it('refuses labels made from another version of the Test', async () => {
    const line = firstLine();
    line.soft = { ...line.soft, assertLines: [2, 3], assertStatements: [2, 3], executedAsserts: [2, 3] };
    const file = path.join(dir, 'other-test.jsonl');
    writeFileSync(file, `${JSON.stringify(line)}\n`);
    await expect(buildReport({ resultsFiles: [file], dataset, validation })).rejects.toThrow(
      /other-test\.jsonl:1: record CWE-020_soft_1: field "soft": soft-assert lines \[2, 3\] differ from the labelled asserts \[2, 3, 7, 10, 16\]/,
    );
  });
});

describe('judgeSample', () => {
  const outcome = (failures: SoftOutcome['failures']): SoftOutcome => ({
    assertLines: [2, 3],
    assertStatements: [2, 3],
    executedAsserts: [2, 3],
    failures,
  });
  const insecure = outcome([{ line: 3, kind: 'assert', message: '' }, { line: 5, kind: 'exception', message: 'boom' }]);
  const labels = labelTask(outcome([{ line: 6, kind: 'exception', message: 'broken' }]), insecure);

  it('a trailing statement: security if the Insecure Code raises there, ignored if the Secure Code does, else functional', () => {
    expect(labels.statements).toEqual([
      { line: 5, label: 'security' },
      { line: 6, label: 'broken' },
    ]);
    const at = (line: number) => judgeSample(outcome([{ line, kind: 'exception', message: '' }]), labels)!;
    expect(at(5)).toMatchObject({ verdict: 'vulnerable', failedSecurity: [5] });
    expect(at(6)).toMatchObject({ verdict: 'secure', failedFunctional: [], failedSecurity: [] });
    expect(at(9)).toMatchObject({ verdict: 'wrong', failedFunctional: [9] });
  });

  it('cannot judge without the Secure Code\'s outcome', () => {
    expect(judgeSample(outcome([]), labelTask(undefined, insecure))).toBeNull();
  });
});

describe('codeseceval report --validation (CLI)', () => {
  it('prints the split table for soft results', async () => {
    const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', 'src/cli/main.ts', 'report', softResults, '--dataset', SOFT_DATASET, '--validation', validationFile, '--k', '1'],
        { encoding: 'utf8', env: { ...process.env, CODESECEVAL_DATASET: '' } },
        (error, stdout, stderr) => resolve({ code: error ? 1 : 0, stdout, stderr }),
      );
    });
    // Only the note that no samples file was found beside the results to check completeness.
    expect(r.stderr).toMatch(/^note: no samples file beside .*results-soft\.jsonl \(completeness not checked\)\n$/);
    expect(r.code).toBe(0);
    const g = expectedTally;
    const func1 = mean([AGE, NAME, QUERY].map((id) => g(id).functional / g(id).n));
    const fs1 = mean([AGE, NAME, QUERY].map((id) => g(id).functionalSecure / g(id).n));
    expect(r.stdout).toContain(`| m | direct-generation | CodeSecEval | 3 | ${(func1 * 100).toFixed(1)} | ${(fs1 * 100).toFixed(1)} |`);
  });
});
