import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';

/** Parse a command line with the real program, capturing what commander would print. */
async function parse(args: string[]): Promise<string> {
  const program = buildProgram();
  let err = '';
  const quiet = (cmd: Command) => {
    cmd.exitOverride().configureOutput({ writeErr: (s) => (err += s), writeOut: () => {} });
    cmd.commands.forEach(quiet);
  };
  quiet(program);
  // A hook that stops before any action runs: only parsing is under test.
  program.hook('preAction', () => {
    throw new Error('parsed');
  });
  await program.parseAsync(['node', 'codeseceval', ...args]).catch(() => {});
  return err;
}

describe('flag errors name the flag the user typed', () => {
  it('a misspelt flag is reported, with a suggestion, before a missing required option', async () => {
    const err = await parse(['run', '--modle', 'x']);
    expect(err).toContain("unknown option '--modle'");
    expect(err).toContain('Did you mean --model?');
    expect(err).not.toContain('required option');
  });
  it('a missing required option is still reported when nothing else is wrong', async () => {
    expect(await parse(['generate', '--tasks', 'CWE-79'])).toContain("required option '-m, --model <spec>' not specified");
    expect(await parse(['evaluate'])).toContain("required option '--out <file>' not specified");
  });
  it('generate refuses a second --model instead of keeping the last one', async () => {
    const err = await parse(['generate', '-m', 'openai:a', '-m', 'openai:b', '--out', 'x.jsonl']);
    expect(err).toContain('-m, --model was given twice ("openai:a", "openai:b")');
    expect(await parse(['generate', '-m', 'openai:a', '--out', 'x.jsonl'])).toBe('');
  });
});
