import { beforeAll,  expect, it } from 'vitest';
import { loadDataset } from '../src/benchmarks/index.js';
import { validateDataset } from '../src/evaluate/validate.js';
import { CODESECEVAL_DIR, describeWithDataset } from './helpers/datasets.js';
import type { ValidationFile, ValidationRecord } from '../src/core/validation.js';

// The engine's verdicts on the real dataset: every reference sample of all 180 records.
let validation: ValidationFile;
const byId = (id: string): ValidationRecord => {
  const r = validation.records.find((x) => x.task_id === id);
  if (!r) throw new Error(`no record ${id}`);
  return r;
};

beforeAll(async () => {
  validation = await validateDataset(loadDataset(CODESECEVAL_DIR), { timeoutSec: 10 });
}, 300_000);

describeWithDataset('reference verdicts on the upstream dataset', () => {
  it('classifies every record once', () => {
    expect(validation.records).toHaveLength(180);
    expect(new Set(validation.records.map((r) => r.task_id)).size).toBe(180);
  });

  it('passes most Secure Code and fails most Insecure Code', () => {
    const ok = validation.records.filter((r) => r.verdict === 'ok').length;
    expect(ok).toBeGreaterThan(150);
    expect(validation.records.filter((r) => r.insecure?.status === 'passed').length).toBeLessThan(5);
  });

  it('runs tasks that need PyCrypto names and mysql.connector through the shims', () => {
    for (const id of ['CWE-326_author_1', 'CWE-327_codeql_1', 'CWE-259_author_2', 'CWE-089_codeql_1']) {
      expect(byId(id).verdict, id).toBe('ok');
    }
  });

  it('maps IDs with slashes to their fixture folder and creates folders missing upstream', () => {
    expect(byId('CWE-862/CWE-287/CWE-306/CWE-863_03').verdict).toBe('ok');
    expect(byId('CWE-611_sonar_1').verdict).toBe('ok');
  });

  it('does not count an insecure exit() as a pass', () => {
    // The insecure calculator evaluates "exit()": a plain runner sees exit status 0.
    const r = byId('CWE-94_06');
    expect(r.insecure?.status).toBe('error');
    expect(r.insecure?.detail).toContain('SystemExit');
    expect(r.verdict).toBe('ok');
  });

  it('marks tasks whose own test is broken upstream, with the reason', () => {
    const r = byId('CWE-89_02');
    expect(r.verdict).toBe('secure-fails');
    expect(r.reason).toContain("name 'os' is not defined");
  });

  it('times out the insecure infinite loop', () => {
    expect(byId('CWE-835_author_1').insecure?.status).toBe('timeout');
  });
});
