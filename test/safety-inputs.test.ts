/**
 * Nothing already written is ever lost, and bad input gets one line and exit 1 (issue 9):
 * the real CLI, as a user runs it, against outputs that already hold results.
 */
import { copyFileSync, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { loadDataset } from '../src/benchmarks/index.js';
import type { Dataset } from '../src/core/task.js';
import { CODESECEVAL_DIR, describeWithDataset } from './helpers/datasets.js';
import { cli, type Exit, jsonLines, killStarted, removeTempDirs, tempDir } from './helpers/safety-cli.js';

const TASKS = ['CWE-020_codeql_4', 'CWE-276_01'];

let ds: Dataset;
let dir: string;
let samples: string;
let results: string;
let resultsText: string;
const env = () => ({ CODESECEVAL_DATASET: CODESECEVAL_DIR, CODESECEVAL_CACHE: path.join(dir, 'cache'), TMPDIR: path.join(dir, 'tmp') });

afterEach(() => killStarted());
afterAll(() => removeTempDirs());

async function run(args: string[], extra: Record<string, string | undefined> = {}, cwd?: string): Promise<Exit> {
  return cli(args, { env: { ...env(), ...extra }, ...(cwd ? { cwd } : {}) }).done;
}

/** Exit 1 with exactly one line on stderr, matching `message`, and no stack trace. */
function expectOneLine(exit: Exit, message: RegExp): void {
  expect(exit.code, exit.stderr).toBe(1);
  expect(exit.stderr.trim().split('\n'), exit.stderr).toHaveLength(1);
  expect(exit.stderr).toMatch(message);
}

function sampleLine(id: string, extra: Record<string, unknown> = {}): string {
  const t = ds.tasks.find((x) => x.id === id)!;
  return JSON.stringify({ task_id: id, solution: t.secureCode, ...extra });
}

/** A fresh copy of the real results file, to be handed to a command that must not touch it. */
function resultsCopy(name: string): string {
  const file = path.join(dir, name);
  copyFileSync(results, file);
  return file;
}

describeWithDataset('nothing already written is lost', () => {
  beforeAll(async () => {
    ds = loadDataset(CODESECEVAL_DIR);
    dir = tempDir('cse-safety-inputs-');
    mkdirSync(path.join(dir, 'tmp'));
    samples = path.join(dir, 'samples.jsonl');
    writeFileSync(samples, TASKS.map((id) => sampleLine(id)).join('\n') + '\n');
    results = path.join(dir, 'results.jsonl');
    const exit = await run(['evaluate', '--samples', samples, '--out', results]);
    expect(exit.code, exit.stderr).toBe(0);
    resultsText = readFileSync(results, 'utf8');
    expect(jsonLines(results).map((r) => r.status)).toEqual(['passed', 'passed']);
  }, 120_000);

  it('report refuses an --out that is one of its results files, by any name, and writes nothing', async () => {
    const r = resultsCopy('r.jsonl');
    expectOneLine(await run(['report', r, '--out', r]), /--out .*r\.jsonl is also an input \(results file\)/);
    expect(readFileSync(r, 'utf8')).toBe(resultsText);
    // Another spelling of the same file: a symlink, and a relative path from another folder.
    const link = path.join(dir, 'report.md');
    symlinkSync(r, link);
    expectOneLine(await run(['report', r, '--out', link]), /is also an input \(results file\)/);
    expectOneLine(await run(['report', 'r.jsonl', '--out', `../${path.basename(dir)}/r.jsonl`], {}, dir), /is also an input/);
    expect(readFileSync(r, 'utf8')).toBe(resultsText);
    // The second of several inputs, and a validation file, are inputs too.
    const other = resultsCopy('r2.jsonl');
    expectOneLine(await run(['report', r, other, '--out', other, '--format', 'md']), /is also an input \(results file\)/);
    expect(readFileSync(other, 'utf8')).toBe(resultsText);
  });

  it('report --validation FILE --out FILE is refused and the validation file kept', async () => {
    // `dataset validate` checks a whole dataset: the four-task fixture keeps it short.
    const mini = path.join(import.meta.dirname, 'fixtures', 'codeseceval-mini');
    const v = path.join(dir, 'validation.json');
    const made = await run(['dataset', 'validate', '--dataset', mini, '--out', v]);
    expect(made.code, made.stderr).toBe(0);
    const text = readFileSync(v, 'utf8');
    expectOneLine(await run(['report', results, '--dataset', mini, '--validation', v, '--out', v]), /is also an input \(--validation\)/);
    expect(readFileSync(v, 'utf8')).toBe(text);
  }, 120_000);

  it('report replaces an existing --out only with a complete report', async () => {
    const report = path.join(dir, 'kept.md');
    writeFileSync(report, 'an earlier report\n');
    const bad = path.join(dir, 'bad-results.jsonl');
    writeFileSync(bad, resultsText + '{"task_id": "CWE-020_codeql_4", "passed": tru\n');
    expectOneLine(await run(['report', results, bad, '--out', report]), /bad-results\.jsonl:3: /);
    expect(readFileSync(report, 'utf8')).toBe('an earlier report\n');
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    // A hard link is the same file under another name.
    const hard = path.join(dir, 'hard.md');
    linkSync(results, hard);
    expectOneLine(await run(['report', results, '--out', hard]), /is also an input \(results file\)/);
    expect(readFileSync(results, 'utf8')).toBe(resultsText);
  });

  it('generate refuses an --out that is its replay file', async () => {
    const replay = path.join(dir, 'replay.jsonl');
    copyFileSync(samples, replay);
    const before = readFileSync(replay, 'utf8');
    expectOneLine(await run(['generate', '--model', `replay:${replay}`, '--out', replay]), /--out .*replay\.jsonl is also an input/);
    expect(readFileSync(replay, 'utf8')).toBe(before);
  });

  it('evaluate with an interpreter that does not exist exits 1 and leaves --out as it was', async () => {
    const r = resultsCopy('python.jsonl');
    // --fresh asks to start over: still nothing may go before the interpreter is known to work.
    expectOneLine(await run(['evaluate', '--samples', samples, '--out', r, '--python', '/nonexistent', '--fresh']), /\/nonexistent/);
    expect(readFileSync(r, 'utf8')).toBe(resultsText);
    // Resuming with work left to do.
    const more = path.join(dir, 'more.jsonl');
    writeFileSync(more, [sampleLine(TASKS[0]!), sampleLine(TASKS[1]!), sampleLine(TASKS[1]!)].join('\n') + '\n');
    expectOneLine(await run(['evaluate', '--samples', more, '--out', r, '--python', '/nonexistent']), /\/nonexistent/);
    expect(readFileSync(r, 'utf8')).toBe(resultsText);
    expect(readdirSync(dir).filter((n) => n.endsWith('.lock'))).toEqual([]);
  });

  it('evaluate with an empty samples file does not empty a results file', async () => {
    const r = resultsCopy('empty.jsonl.out');
    const empty = path.join(dir, 'empty.jsonl');
    writeFileSync(empty, '');
    expectOneLine(await run(['evaluate', '--samples', empty, '--out', r]), /empty\.jsonl: no samples in the file; nothing to evaluate/);
    expect(readFileSync(r, 'utf8')).toBe(resultsText);
    // Nor does it make a results file that `report` would then refuse.
    const fresh = path.join(dir, 'never-made.jsonl');
    expectOneLine(await run(['evaluate', '--samples', empty, '--out', fresh]), /no samples in the file/);
    expect(existsSync(fresh)).toBe(false);
  });

  it('evaluate matches results to samples by sample, not by line: the same samples in another order are kept', async () => {
    const r = resultsCopy('reordered.jsonl');
    const swapped = path.join(dir, 'swapped.jsonl');
    writeFileSync(swapped, [sampleLine(TASKS[1]!), sampleLine(TASKS[0]!)].join('\n') + '\n');
    const again = await run(['evaluate', '--samples', swapped, '--out', r]);
    expect(again.code, again.stderr).toBe(0);
    expect(readFileSync(r, 'utf8')).toBe(resultsText);
  }, 60_000);

  it('evaluate refuses results of other samples in --out unless --fresh', async () => {
    const r = resultsCopy('foreign.jsonl');
    const changed = path.join(dir, 'changed.jsonl');
    writeFileSync(changed, [sampleLine(TASKS[0]!, { solution: 'print(1)\n' }), sampleLine(TASKS[1]!)].join('\n') + '\n');
    expectOneLine(await run(['evaluate', '--samples', changed, '--out', r]), /line \d+ is not a result of a sample of .*the program of .* differs/);
    expect(readFileSync(r, 'utf8')).toBe(resultsText);
    const fresh = await run(['evaluate', '--samples', changed, '--out', r, '--fresh']);
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(jsonLines(r).map((x) => x.task_id).sort()).toEqual([...TASKS].sort());
  }, 60_000);

  it('evaluate refuses --out equal to --samples, by real path', async () => {
    const copy = path.join(dir, 'same.jsonl');
    copyFileSync(samples, copy);
    const before = readFileSync(copy, 'utf8');
    expectOneLine(await run(['evaluate', '--samples', copy, '--out', copy]), /--out .*same\.jsonl is also an input \(--samples\)/);
    const link = path.join(dir, 'same-link.jsonl');
    symlinkSync(copy, link);
    expectOneLine(await run(['evaluate', '--samples', copy, '--out', link]), /is also an input \(--samples\)/);
    expect(readFileSync(copy, 'utf8')).toBe(before);
  });

  it('evaluate --memory below the minimum is refused with the minimum, before --out is touched', async () => {
    const r = resultsCopy('memory.jsonl');
    for (const mb of ['1', '255']) {
      const exit = await run(['evaluate', '--samples', samples, '--out', r, '--memory', mb, '--fresh']);
      expect(exit.code, exit.stderr).toBe(1);
      // commander's own flag error, then its "(add --help for usage)" hint.
      const [first, ...rest] = exit.stderr.trim().split('\n');
      expect(first).toMatch(new RegExp(`--memory .*at least 256.*got "${mb}"`));
      expect(rest.every((l) => /add --help/.test(l))).toBe(true);
      expect(exit.stderr).not.toMatch(/\n\s+at /);
    }
    expect(readFileSync(r, 'utf8')).toBe(resultsText);
  });
});

describeWithDataset('bad paths and bad bytes get one line and exit 1', () => {
  beforeAll(() => {
    ds ??= loadDataset(CODESECEVAL_DIR);
    dir ??= tempDir('cse-safety-inputs-');
    mkdirSync(path.join(dir, 'tmp'), { recursive: true });
    samples ??= path.join(dir, 'samples.jsonl');
    if (!existsSync(samples)) writeFileSync(samples, TASKS.map((id) => sampleLine(id)).join('\n') + '\n');
  });

  it('--samples DIR and --out DIR are named, never a bare EISDIR', async () => {
    expectOneLine(await run(['evaluate', '--samples', dir, '--out', path.join(dir, 'x.jsonl')]), /--samples .*: is a directory, not a file/);
    expectOneLine(await run(['evaluate', '--samples', samples, '--out', dir]), /--out .*: is a directory, not a file/);
    expectOneLine(await run(['generate', '--model', 'reference:secure', '--tasks', TASKS[0]!, '--out', dir]), /--out .*: is a directory, not a file/);
    expectOneLine(await run(['report', samples, '--out', dir]), /--out .*: is a directory, not a file/);
    expect(existsSync(path.join(dir, 'x.jsonl'))).toBe(false);
  });

  it('--out in a missing folder: the folder is made, as for every command that writes a file', async () => {
    const out = path.join(dir, 'new', 'deeper', 'r.jsonl');
    const exit = await run(['evaluate', '--samples', samples, '--out', out]);
    expect(exit.code, exit.stderr).toBe(0);
    expect(jsonLines(out)).toHaveLength(2);
    const g = await run(['generate', '--model', 'reference:secure', '--tasks', TASKS[0]!, '--out', path.join(dir, 'new2', 's.jsonl')]);
    expect(g.code, g.stderr).toBe(0);
    expect(jsonLines(path.join(dir, 'new2', 's.jsonl'))).toHaveLength(1);
  }, 60_000);

  it('--out under something that is not a folder is named', async () => {
    const file = path.join(dir, 'plain-file');
    writeFileSync(file, 'x');
    expectOneLine(await run(['evaluate', '--samples', samples, '--out', path.join(file, 'r.jsonl')]), /plain-file is not a folder/);
    expectOneLine(await run(['generate', '--model', 'reference:secure', '--out', path.join(file, 's.jsonl')]), /plain-file is not a folder/);
    expect(readFileSync(file, 'utf8')).toBe('x');
  });

  it('invalid UTF-8 in a samples file is reported with its file and line, not replaced', async () => {
    const bad = path.join(dir, 'bad-utf8.jsonl');
    const line2 = Buffer.from(sampleLine(TASKS[1]!).replace('"solution":"', '"solution":"#\u0001'), 'utf8');
    // The placeholder byte becomes 0xFF: never valid in UTF-8.
    line2[line2.indexOf(0x01)] = 0xff;
    writeFileSync(bad, Buffer.concat([Buffer.from(sampleLine(TASKS[0]!) + '\n'), line2, Buffer.from('\n')]));
    const out = path.join(dir, 'bad-utf8.out.jsonl');
    expectOneLine(await run(['evaluate', '--samples', bad, '--out', out]), /bad-utf8\.jsonl:2: invalid UTF-8/);
    expect(existsSync(out)).toBe(false);
  });

  it('run with an unknown provider, or a key that is missing, makes no folder', async () => {
    const cwd = tempDir('cse-safety-run-cwd-');
    // Without --out the default is runs/<model names> under the working folder.
    expectOneLine(await run(['run', '--model', 'nope:x'], {}, cwd), /--model "nope:x": unknown provider "nope"/);
    expectOneLine(await run(['run', '--model', 'openai:x'], { OPENAI_API_KEY: undefined }, cwd), /--model openai:x needs OPENAI_API_KEY/);
    // The bad model second, after one that is fine.
    expectOneLine(
      await run(['run', '--model', 'reference:secure', '--model', 'openai:x', '--out', path.join(cwd, 'given')], { OPENAI_API_KEY: undefined }, cwd),
      /needs OPENAI_API_KEY/,
    );
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('run with --tasks that select nothing is refused before the folder is made', async () => {
    const cwd = tempDir('cse-safety-run-tasks-');
    expectOneLine(await run(['run', '--model', 'reference:secure', '--tasks', 'CWE-9999', '--out', path.join(cwd, 'r')], {}, cwd), /CWE-9999/);
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('run with --memory below the minimum is refused before the folder is made', async () => {
    const cwd = tempDir('cse-safety-run-memory-');
    const exit = await run(['run', '--model', 'reference:secure', '--memory', '100', '--out', path.join(cwd, 'r')], {}, cwd);
    expect(exit.code, exit.stderr).toBe(1);
    expect(exit.stderr.split('\n')[0]).toMatch(/--memory .*at least 256.*got "100"/);
    expect(readdirSync(cwd)).toEqual([]);
  });
});
