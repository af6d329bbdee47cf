import { existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { registerRepair } from '../../src/cli/repair.js';
import { readExistingSamples } from '../../src/generate/samples-file.js';
import { detectKind, repairFile } from '../../src/evaluate/repair.js';
import { acquireLock } from '../../src/io/lock.js';
import { readResults } from '../../src/report/results-file.js';
import { runCliInProcess } from '../helpers/cli.js';
import { tempRoot } from './io-temp.js';
import { makeTask } from '../helpers/task.js';

const tmp = tempRoot('cse-repair-');

const result = (task: string, i: number, extra: object = {}) =>
  JSON.stringify({ task_id: task, sample_index: i, passed: true, status: 'passed', detail: '', duration_ms: 1, model: 'm', experiment: 'e', ...extra });
const sample = (task: string, i: number, extra: object = {}) =>
  JSON.stringify({ task_id: task, experiment: 'e', model: 'm', sample_index: i, error: null, solution: `x = ${i}`, ...extra });

function file(name: string, text: string): string {
  const f = path.join(tmp.fresh(), name);
  writeFileSync(f, text);
  return f;
}

const rejectedOf = (f: string) =>
  readFileSync(`${f}.rejected`, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { line: number; reason: string; text: string; backup: string });

describe('repair of a results file', () => {
  it('moves a corrupt middle line aside with its number and reason, keeps the rest byte for byte and a backup', async () => {
    const good = [result('A', 0), result('A', 1), result('B', 0)];
    const text = `${good[0]}\n{"task_id":"A","sample_index":1,"pass\n${good[1]}\n${good[2]}\n`;
    const f = file('results.jsonl', text);
    const r = await repairFile(f);
    expect(r.kind).toBe('results');
    expect(r.kept).toBe(3);
    expect(r.rejected.map((x) => x.line)).toEqual([2]);
    expect(r.rejected[0]!.reason).toMatch(/^invalid JSON/);
    expect(readFileSync(f, 'utf8')).toBe(good.join('\n') + '\n');
    expect(readFileSync(`${f}.bak`, 'utf8')).toBe(text);
    const [rej] = rejectedOf(f);
    expect(rej).toMatchObject({ line: 2, text: '{"task_id":"A","sample_index":1,"pass', backup: `${f}.bak` });
  });

  it('moves a garbage last line without a newline, a wrong-shaped line and a repeated sample; keeps the first of a pair', async () => {
    const text = `${result('A', 0)}\n{"task_id":"A"}\n${result('A', 0, { passed: false, status: 'failed' })}\n${result('B', 0)}\n\u001b[2Jgarbage`;
    const f = file('r.jsonl', text);
    // Three bad lines of five: more bad than good needs --force.
    const r = await repairFile(f, undefined, { force: true });
    expect(r.rejected.map((x) => x.line)).toEqual([2, 3, 5]);
    expect(r.rejected[0]!.reason).toMatch(/^sample_index: /);
    expect(r.rejected[1]!.reason).toMatch(/duplicate sample 0 of m \/ e \(first at line 1\)/);
    expect(r.rejected[2]!.reason).toMatch(/invalid JSON .*may have been cut short/);
    expect(readFileSync(f, 'utf8')).toBe(`${result('A', 0)}\n${result('B', 0)}\n`);
    expect(rejectedOf(f)[2]!.text).toBe('\u001b[2Jgarbage');
  });

  it('refuses, changing nothing, when most lines are bad: the wrong file or the wrong kind', async () => {
    const text = `${JSON.stringify({ rule: 'B101', line: 3 })}\n${JSON.stringify({ rule: 'B102', line: 4 })}\n`;
    const f = file('analysis.jsonl', text);
    await expect(repairFile(f)).rejects.toThrow(
      `analysis.jsonl: 2 of 2 lines would be moved aside (line 1: task_id: Invalid input: expected string, received undefined); is it a samples file (told from its first line; --kind says otherwise)? Nothing was changed; \`codeseceval repair --force ${f}\` repairs it anyway`,
    );
    expect(readFileSync(f, 'utf8')).toBe(text);
    expect(existsSync(`${f}.bak`) || existsSync(`${f}.rejected`)).toBe(false);
  });

  it('refuses a line whose "passed" contradicts its "status", as report does', async () => {
    const f = file('r.jsonl', `${result('A', 0, { passed: false })}\n${result('A', 1)}\n`);
    const r = await repairFile(f);
    expect(r.rejected).toEqual([{ line: 1, reason: expect.stringMatching(/"passed" is false but "status" is "passed"/) }]);
  });

  it('keeps a good last line that only lacks its newline, adding it', async () => {
    const f = file('r.jsonl', `${result('A', 0)}\n{}\n${result('A', 1)}`);
    await repairFile(f);
    expect(readFileSync(f, 'utf8')).toBe(`${result('A', 0)}\n${result('A', 1)}\n`);
  });

  it('leaves a good file untouched, with no backup and no rejected file', async () => {
    const text = `${result('A', 0)}\n\n${result('A', 1)}\n`;
    const f = file('r.jsonl', text);
    const r = await repairFile(f);
    expect(r).toMatchObject({ kept: 2, rejected: [], backup: null, rejectedFile: null });
    expect(readFileSync(f, 'utf8')).toBe(text);
    expect(existsSync(`${f}.bak`) || existsSync(`${f}.rejected`)).toBe(false);
  });

  it('a second repair keeps the first backup and adds to the rejected file', async () => {
    const f = file('r.jsonl', `${result('A', 0)}\nx\n`);
    await repairFile(f);
    writeFileSync(f, `${readFileSync(f, 'utf8')}y\n`);
    const r = await repairFile(f);
    expect(r.backup).toBe(`${f}.bak.2`);
    expect(rejectedOf(f).map((x) => x.text)).toEqual(['x', 'y']);
    expect(readFileSync(`${f}.bak`, 'utf8')).toBe(`${result('A', 0)}\nx\n`);
  });

  it('repairs through a symlink: the target is replaced, the link stays', async () => {
    const f = file('r.jsonl', `${result('A', 0)}\nx\n`);
    const link = path.join(path.dirname(f), 'link.jsonl');
    symlinkSync(f, link);
    await repairFile(link);
    expect(readFileSync(f, 'utf8')).toBe(`${result('A', 0)}\n`);
  });

  it('is refused while another process writes the file', async () => {
    const f = file('r.jsonl', `${result('A', 0)}\nx\n`);
    const lock = acquireLock(f, { command: 'codeseceval evaluate' });
    try {
      await expect(repairFile(f)).rejects.toThrow(/r\.jsonl is already in use/);
    } finally {
      lock.release();
    }
    expect(readFileSync(f, 'utf8')).toBe(`${result('A', 0)}\nx\n`);
  });
});

describe('repair of a samples file', () => {
  it('moves a repeated sample and a line generate could not resume from; generate then resumes it', async () => {
    const text = [sample('A', 0), sample('A', 1), sample('A', 0, { solution: 'y' }), JSON.stringify({ task_id: 'B', solution: 'z' }), sample('B', 0)].join('\n') + '\n';
    const f = file('samples.jsonl', text);
    expect(() => readExistingSamples(f)).toThrow(/`codeseceval repair .*samples\.jsonl` moves the bad lines/);
    const r = await repairFile(f);
    expect(r.kind).toBe('samples');
    expect(r.rejected.map((x) => x.line)).toEqual([3, 4]);
    expect(r.rejected[0]!.reason).toBe('repeats sample A #0 (first at line 1)');
    expect(readExistingSamples(f).done.size).toBe(3);
  });

  it('numbers samples without an index as evaluate does', async () => {
    const line = (s: string) => JSON.stringify({ task_id: 'A', solution: s });
    const f = file('s.jsonl', [line('a'), line('b'), JSON.stringify({ task_id: 'A', sample_index: 1, solution: 'c' })].join('\n') + '\n');
    const r = await repairFile(f);
    expect(r.rejected).toEqual([{ line: 3, reason: 'repeats sample A #1 (first at line 2)' }]);
  });

  it('tells the kind from the first object line, and refuses a file with none', async () => {
    expect(await detectKind(file('a.jsonl', `oops\n${result('A', 0)}\n`))).toBe('results');
    expect(await detectKind(file('b.jsonl', `${sample('A', 0)}\n`))).toBe('samples');
    await expect(detectKind(file('c.jsonl', 'x\n[1]\n'))).rejects.toThrow(/neither a results nor a samples file/);
  });
});

describe('codeseceval repair', () => {
  it('lists the moved lines, names the rejected file and the backup, and says what to run next', async () => {
    const f = file('results.jsonl', `${result('A', 0)}\n\u001b]0;title\u0007\n`);
    const o = await runCliInProcess(registerRepair, ['repair', f]);
    expect(o.exitCode).toBe(0);
    expect(o.stderr).toContain('  line 2: invalid JSON');
    expect(o.stderr).toContain(`kept 1 lines, moved 1 to ${f}.rejected`);
    expect(o.stderr).toContain(`the original is kept as ${f}.bak; run the same \`codeseceval evaluate\` again`);
    // The garbage is quoted, never sent to the terminal as it is.
    expect(o.stderr).not.toContain('\u001b]');
  });

  it('a missing file is one line, exit 1', async () => {
    const o = await runCliInProcess(registerRepair, ['repair', path.join(tmp.root, 'nope.jsonl')]);
    expect(o.exitCode).toBe(1);
    expect(o.stderr).toMatch(/nope\.jsonl: no such file\n$/);
  });
});

describe('the refusals name repair', () => {
  it('report: a damaged line', async () => {
    const f = file('r.jsonl', `${result('A', 0)}\n{oops\n`);
    const ds = { kind: 'x', source: 'x', tasks: [], byId: new Map([['A', makeTask({ id: 'A', test: '' })]]) };
    await expect(readResults([f], ds)).rejects.toThrow(`r.jsonl:2: invalid JSON`);
    await expect(readResults([f], ds)).rejects.toThrow(`\`codeseceval repair ${f}\` moves the bad lines to ${f}.rejected and keeps the rest`);
  });
});
