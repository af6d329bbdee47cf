import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ANNOTATION_FILE, loadDataset } from '../src/benchmarks/index.js';
import { DatasetError, UserError } from '../src/core/errors.js';
import { CODESECEVAL_DIR, HUMANEVAL_FILE, describeWithDataset, itWithHumanEval } from './helpers/datasets.js';

const REAL = CODESECEVAL_DIR;
const HUMANEVAL = HUMANEVAL_FILE;
const FIXTURES = path.resolve('test/fixtures');
const MINI = path.join(FIXTURES, 'codeseceval-mini');

describeWithDataset('the real CodeSecEval data', () => {
  const ds = loadDataset(REAL);

  it('has 180 records: 67 SecEvalBase and 113 SecEvalPlus', () => {
    expect(ds.kind).toBe('codeseceval');
    expect(ds.tasks).toHaveLength(180);
    expect(ds.tasks.filter((t) => t.subset === 'SecEvalBase')).toHaveLength(67);
    expect(ds.tasks.filter((t) => t.subset === 'SecEvalPlus')).toHaveLength(113);
    expect(ds.byId.size).toBe(180);
  });

  it('has 44 CWE groups, with CWE-020 (Base) and CWE-20 (Plus) as one', () => {
    const groups = new Set(ds.tasks.map((t) => t.cweGroup));
    expect(groups.size).toBe(44);
    expect(groups.has('CWE-20')).toBe(true);
    expect([...groups].some((g) => g?.includes('CWE-020'))).toBe(false);
    const subsetsOf20 = new Set(ds.tasks.filter((t) => t.cweGroup === 'CWE-20').map((t) => t.subset));
    expect(subsetsOf20).toEqual(new Set(['SecEvalBase', 'SecEvalPlus']));
  });

  it('joins every annotation to its record', () => {
    for (const s of ['SecEvalBase', 'SecEvalPlus']) {
      const ann = JSON.parse(readFileSync(path.join(REAL, s, ANNOTATION_FILE), 'utf8')) as Record<string, string>[];
      for (const a of ann) {
        const t = ds.byId.get(a.ID!)!;
        expect(t.subset).toBe(s);
        expect(t.vulnAwareProblem).toBe(a['Vulnerability-aware Information']);
        expect(t.insecureCodeExplanation).toBe(a['Insecure Code Explanation']);
      }
    }
    expect(ds.tasks.every((t) => t.vulnAwareProblem && t.insecureCode)).toBe(true);
  });

  it('maps IDs with slashes to fixture folders with underscores', () => {
    const merged = ds.tasks.filter((t) => t.id.includes('/'));
    expect(merged.length).toBeGreaterThan(0);
    for (const t of merged) {
      expect(t.cweGroup).toBe('CWE-862/CWE-287/CWE-306/CWE-863');
      expect(t.cwes).toEqual(['CWE-862', 'CWE-287', 'CWE-306', 'CWE-863']);
      expect(t.fixtureName).toBe(t.id.replaceAll('/', '_'));
    }
    const t3 = ds.byId.get('CWE-862/CWE-287/CWE-306/CWE-863_03')!;
    expect(t3.fixtureDir).toBe(path.join(REAL, 'SecEvalPlus', 'Test', 'CWE-862_CWE-287_CWE-306_CWE-863_03'));
  });

  it('sets fixtureDir only where upstream has the folder', () => {
    expect(ds.byId.get('CWE-020_author_1')!.fixtureDir).toBe(path.join(REAL, 'SecEvalBase', 'Test', 'CWE-020_author_1'));
    // Upstream's test writes its own files into this folder, so git never stored it.
    expect(ds.byId.get('CWE-611_sonar_1')!.fixtureDir).toBeNull();
    expect(ds.byId.get('CWE-611_sonar_1')!.fixtureName).toBe('CWE-611_sonar_1');
  });
});

describe('HumanEval', () => {
  itWithHumanEval('loads the real file: 164 tasks, complete reference programs', () => {
    const ds = loadDataset(HUMANEVAL);
    expect(ds.kind).toBe('humaneval');
    expect(ds.tasks).toHaveLength(164);
    const t = ds.byId.get('HumanEval/0')!;
    expect(t.entryPoint).toBe('has_close_elements');
    expect(t.secureCode.startsWith(t.problem)).toBe(true);
    expect(t.insecureCode).toBeNull();
    expect(t.cweGroup).toBeNull();
    expect(t.fixtureName).toBe('HumanEval_0');
  });

  itWithHumanEval('loads a folder holding exactly one .jsonl', () => {
    expect(loadDataset(path.dirname(HUMANEVAL)).tasks).toHaveLength(164);
  });

  it('loads the mini fixture', () => {
    const ds = loadDataset(path.join(FIXTURES, 'humaneval-mini.jsonl'));
    expect(ds.tasks.map((t) => t.id)).toEqual(['Mini/0', 'Mini/1', 'Mini/2']);
    expect(ds.byId.get('Mini/1')!.entryPoint).toBe('shout');
    expect(ds.byId.get('Mini/2')!.secureCode).toContain('return [x for x in xs if x % 2 == 0]');
  });
});

function errorOf(fn: () => unknown): DatasetError {
  try {
    fn();
  } catch (e) {
    // Record problems are DatasetErrors; unreadable lines come from the shared JSONL reader.
    expect(e).toBeInstanceOf(UserError);
    expect((e as Error).message).not.toContain('\n');
    return e as DatasetError;
  }
  throw new Error('expected a DatasetError');
}

describe('broken HumanEval files name the file, line, record and field', () => {
  const broken = (name: string) => path.join(FIXTURES, 'broken', name);

  it('a line that is not JSON', () => {
    const e = errorOf(() => loadDataset(broken('humaneval-bad-line.jsonl')));
    expect(e.message).toContain(`${broken('humaneval-bad-line.jsonl')}:2`);
    expect(e.message).toContain('invalid JSON');
  });

  it('a missing field', () => {
    const e = errorOf(() => loadDataset(broken('humaneval-missing-field.jsonl')));
    expect(e.message).toContain(`${broken('humaneval-missing-field.jsonl')}:2`);
    expect(e.message).toContain('record Broken/1');
    expect(e.message).toContain('field "entry_point"');
  });

  it('a field of the wrong type (line numbers count blank lines)', () => {
    const e = errorOf(() => loadDataset(broken('humaneval-wrong-type.jsonl')));
    expect(e.message).toContain(`${broken('humaneval-wrong-type.jsonl')}:3`);
    expect(e.message).toContain('record Broken/1');
    expect(e.message).toContain('field "test"');
    expect(e.message).toMatch(/expected string/);
  });

  it('a duplicate task ID, with both lines', () => {
    const e = errorOf(() => loadDataset(broken('humaneval-duplicate.jsonl')));
    expect(e.message).toContain(`${broken('humaneval-duplicate.jsonl')}:3`);
    expect(e.message).toContain('record Broken/0');
    expect(e.message).toContain('field "task_id"');
    expect(e.message).toContain('first on line 1');
  });
});

describe('broken CodeSecEval folders name the file, record and field', () => {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'cse-load-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  let n = 0;

  /** A copy of the mini fixture with one file rewritten. */
  function variant(rel: string, edit: (data: Record<string, unknown>[]) => unknown): { root: string; file: string } {
    const root = path.join(scratch, `case-${n++}`);
    cpSync(MINI, root, { recursive: true });
    const file = path.join(root, rel);
    const data = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>[];
    const out = edit(data);
    writeFileSync(file, typeof out === 'string' ? out : JSON.stringify(out ?? data, null, 2));
    return { root, file };
  }

  it('the unmodified mini fixture loads', () => {
    const ds = loadDataset(MINI);
    expect(ds.tasks.map((t) => t.id)).toEqual(['CWE-020_mini_1', 'CWE-079_mini_1', 'CWE-20_01', 'CWE-862/CWE-287/CWE-306/CWE-863_01']);
    expect(ds.byId.get('CWE-079_mini_1')!.vulnAwareProblem).toContain('Step 1');
    expect(ds.byId.get('CWE-862/CWE-287/CWE-306/CWE-863_01')!.fixtureDir).toBe(
      path.join(MINI, 'SecEvalPlus', 'Test', 'CWE-862_CWE-287_CWE-306_CWE-863_01'),
    );
  });

  it('invalid JSON', () => {
    const { root, file } = variant('SecEvalBase/SecEvalBase.json', () => '[{"ID": "CWE-020_mini_1", ');
    const e = errorOf(() => loadDataset(root));
    expect(e.message.startsWith(`${file}: invalid JSON`)).toBe(true);
  });

  it('a JSON value that is not an array', () => {
    const { root, file } = variant('SecEvalPlus/SecEvalPlus.json', (d) => ({ records: d }));
    expect(errorOf(() => loadDataset(root)).message).toBe(`${file}: expected a JSON array of records`);
  });

  it('a missing field', () => {
    const { root, file } = variant('SecEvalBase/SecEvalBase.json', (d) => {
      delete d[1]!['Secure Code'];
    });
    const e = errorOf(() => loadDataset(root));
    expect(e.message).toContain(`${file}: record CWE-079_mini_1: field "Secure Code"`);
  });

  it('a field of the wrong type', () => {
    const { root, file } = variant('SecEvalPlus/SecEvalPlus.json', (d) => {
      d[0]!.Entry_Point = 42;
    });
    const e = errorOf(() => loadDataset(root));
    expect(e.message).toContain(`${file}: record CWE-20_01: field "Entry_Point"`);
    expect(e.message).toMatch(/expected string/);
  });

  it('a record without an ID is named by its position', () => {
    const { root, file } = variant('SecEvalPlus/SecEvalPlus.json', (d) => {
      delete d[1]!.ID;
    });
    expect(errorOf(() => loadDataset(root)).message).toContain(`${file}: record #2: field "ID"`);
  });

  it('an annotation missing for an ID', () => {
    const { root, file } = variant(`SecEvalPlus/${ANNOTATION_FILE}`, (d) => d.filter((a) => a.ID !== 'CWE-20_01'));
    const e = errorOf(() => loadDataset(root));
    expect(e.message).toContain(`${file}: record CWE-20_01: field "ID"`);
    expect(e.message).toContain('no annotation');
  });

  it('a broken annotation field', () => {
    const { root, file } = variant(`SecEvalBase/${ANNOTATION_FILE}`, (d) => {
      d[0]!['Insecure Code Explanation'] = ['not', 'a', 'string'];
    });
    expect(errorOf(() => loadDataset(root)).message).toContain(`${file}: record CWE-079_mini_1: field "Insecure Code Explanation"`);
  });

  it('a duplicate ID', () => {
    const { root, file } = variant('SecEvalBase/SecEvalBase.json', (d) => [...d, { ...d[0]! }]);
    const e = errorOf(() => loadDataset(root));
    expect(e.message).toBe(`${file}: record CWE-020_mini_1: field "ID": duplicate ID`);
  });

  it('an annotation whose record does not exist', () => {
    const { root, file } = variant(`SecEvalBase/${ANNOTATION_FILE}`, (d) => [...d, { ...d[0]!, ID: 'CWE-079_mini_9' }]);
    expect(errorOf(() => loadDataset(root)).message).toContain(`${file}: record CWE-079_mini_9: field "ID"`);
  });

  it('a byte-order mark before the JSON is tolerated', () => {
    const { root } = variant('SecEvalBase/SecEvalBase.json', (d) => `\ufeff${JSON.stringify(d)}`);
    expect(loadDataset(root).tasks).toHaveLength(4);
  });

  it('a folder that is no dataset', () => {
    const e = errorOf(() => loadDataset(path.join(FIXTURES, 'broken')));
    expect(e.message).toContain('not a dataset');
  });
});
