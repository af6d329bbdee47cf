import path from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import { checkCommand, documentationFiles, documentedCommands, extractCommands, shellWords } from '../support/doc-commands.js';

const root = path.resolve(import.meta.dirname, '../..');

describe('reading commands out of Markdown', () => {
  it('splits words like a shell: quotes, escapes, and stops at comments and pipes', () => {
    expect(shellWords(`codeseceval run --sbatch "-p short --time 1:00" --out 'a b'  # note`)).toEqual([
      'codeseceval', 'run', '--sbatch', '-p short --time 1:00', '--out', 'a b',
    ]);
    expect(shellWords('codeseceval report r.jsonl | head')).toEqual(['codeseceval', 'report', 'r.jsonl']);
    expect(shellWords('codeseceval doctor && echo ok')).toEqual(['codeseceval', 'doctor']);
  });

  it('finds commands in fenced and indented blocks, joins continuations, keeps env prefixes', () => {
    const md = [
      'Text with codeseceval run outside a block is ignored.',
      '',
      '```sh',
      'OPENAI_API_KEY=none npx codeseceval run --model openai:x \\',
      '    --concurrency 2',
      'ls runs/',
      '```',
      '',
      '    codeseceval dataset stats',
    ].join('\n');
    const found = extractCommands('x.md', md);
    expect(found.map((c) => [c.line, c.args])).toEqual([
      [4, ['run', '--model', 'openai:x', '--concurrency', '2']],
      [9, ['dataset', 'stats']],
    ]);
    expect(found[0]!.env).toEqual({ OPENAI_API_KEY: 'none' });
  });
});

describe("checking a command against the CLI's own parser", () => {
  const check = (line: string) => checkCommand(buildProgram(), shellWords(line));

  it('accepts real commands, synopsis brackets included', () => {
    expect(check('run --model reference:secure --experiments direct-generation --out runs/x')).toBeNull();
    expect(check('dataset fetch [--force]')).toBeNull();
    expect(check('report --help')).toBeNull();
  });

  it('refuses unknown flags, subcommands and commands, and bad values', () => {
    expect(check('run --modle x')).toMatch(/unknown option --modle/);
    expect(check('dataset fecth')).toMatch(/unknown subcommand "fecth"/);
    expect(check('evalute samples.jsonl')).toMatch(/unknown command/);
    expect(check('run --model reference:secure -n zero')).not.toBeNull();
  });
});

describe('every command shown in README.md and docs/', () => {
  const commands = documentedCommands(root);

  it('finds the documented commands', () => {
    expect(commands.length).toBeGreaterThan(10);
  });

  it.each(commands.map((c) => [`${c.file}:${c.line}`, c] as const))('%s parses', (_where, c) => {
    expect(checkCommand(buildProgram(), c.args), c.text).toBeNull();
  });
});

describe('the documentation holds together', () => {
  const files = documentationFiles(root);

  it.each(files)('%s: every relative link points at a file that exists', (file) => {
    const text = readFileSync(path.join(root, file), 'utf8');
    const broken = [...text.matchAll(/\]\(([^)#\s]+)(#[^)\s]*)?\)/g)]
      .map((m) => m[1]!)
      .filter((target) => !/^[a-z]+:/.test(target))
      .filter((target) => !existsSync(path.resolve(path.dirname(path.join(root, file)), target)));
    expect(broken).toEqual([]);
  });

  it('keeps the README a front page (at most 300 lines)', () => {
    expect(readFileSync(path.join(root, 'README.md'), 'utf8').split('\n').length).toBeLessThanOrEqual(300);
  });

  it('lists every docs page in the index', () => {
    const index = readFileSync(path.join(root, 'docs/README.md'), 'utf8');
    const pages = files.filter((f) => f.startsWith('docs/') && f !== 'docs/README.md').map((f) => path.basename(f));
    expect(pages.filter((p) => !index.includes(`(${p})`))).toEqual([]);
  });
});
