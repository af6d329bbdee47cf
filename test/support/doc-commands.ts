import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Command, CommanderError } from 'commander';

/** A `codeseceval` command line shown in a Markdown code block. */
export interface DocCommand {
  file: string;
  line: number;
  /** The command as written (continuations joined), for messages. */
  text: string;
  /** Environment assignments written before it (`OPENAI_API_KEY=none npx codeseceval ...`). */
  env: Record<string, string>;
  /** Arguments after `codeseceval`. */
  args: string[];
  /** In a block marked `<!-- docs-test: parse-only -->` (the line before it): checked, never run. */
  parseOnly: boolean;
}

/** README.md and every page under docs/, relative to the repository root. */
export function documentationFiles(root: string): string[] {
  const docs = readdirSync(path.join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => path.join('docs', f));
  return ['README.md', ...docs];
}

/**
 * Split a shell command line into words: quotes, backslash escapes, and nothing else (no
 * expansion). Stops at a comment, a pipe, `&&`, `;` or a redirection: what follows is not
 * ours to check.
 */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | null = null;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < line.length) word += line[++i]!;
      else word += c;
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      word ??= '';
    } else if (c === '\\' && i + 1 < line.length) {
      word = (word ?? '') + line[++i]!;
    } else if (/\s/.test(c)) {
      if (word !== null) words.push(word);
      word = null;
    } else if (word === null && (c === '#' || c === '|' || c === ';' || c === '>' || c === '<' && !/^<[\w.-]+>/.test(line.slice(i)) || line.startsWith('&&', i))) {
      break;
    } else {
      word = (word ?? '') + c;
    }
  }
  if (word !== null) words.push(word);
  return words;
}

/** Lines inside fenced (```) or indented code blocks, with their 1-based line numbers. */
function codeLines(text: string): { line: number; text: string; parseOnly: boolean }[] {
  const lines = text.split('\n');
  const out: { line: number; text: string; parseOnly: boolean }[] = [];
  let parseOnly = false;
  let marked = false;
  let fence: string | null = null;
  let previousBlank = true;
  let indented = false;
  lines.forEach((l, i) => {
    const fenceMark = /^\s*(```+|~~~+)/.exec(l);
    if (fence) {
      if (fenceMark && fenceMark[1]!.startsWith(fence)) fence = null;
      else out.push({ line: i + 1, text: l, parseOnly });
    } else if (fenceMark) {
      fence = fenceMark[1]!;
      parseOnly = marked;
    } else if (/^( {4}|\t)/.test(l) && (previousBlank || indented)) {
      if (!indented) parseOnly = marked;
      indented = true;
      out.push({ line: i + 1, text: l, parseOnly });
    } else if (l.trim() !== '') {
      indented = false;
    }
    if (l.trim() !== '') marked = /<!--\s*docs-test:\s*parse-only\s*-->/.test(l);
    previousBlank = l.trim() === '';
  });
  return out;
}

/** Every `codeseceval` / `npx codeseceval` command in one Markdown file's code blocks. */
export function extractCommands(file: string, text: string): DocCommand[] {
  const commands: DocCommand[] = [];
  const lines = codeLines(text);
  for (let i = 0; i < lines.length; i++) {
    let joined = lines[i]!.text.trim().replace(/^\$\s+/, '');
    const start = lines[i]!.line;
    // Continuation lines (a trailing backslash) belong to the same command.
    while (/\\\s*$/.test(joined) && i + 1 < lines.length && lines[i + 1]!.line === lines[i]!.line + 1) {
      joined = joined.replace(/\\\s*$/, ' ') + lines[++i]!.text.trim();
    }
    const words = shellWords(joined);
    const env: Record<string, string> = {};
    while (words.length && /^[A-Z_][A-Z0-9_]*=/.test(words[0]!)) {
      const w = words.shift()!;
      env[w.slice(0, w.indexOf('='))] = w.slice(w.indexOf('=') + 1);
    }
    if (words[0] === 'npx') words.shift();
    if (words[0] !== 'codeseceval') continue;
    commands.push({ file, line: start, text: joined, env, args: words.slice(1), parseOnly: lines[i]!.parseOnly });
  }
  return commands;
}

/**
 * Synopsis notation, as docs write it: `[--force]` is the flag, `a|b` is `a`, `...` repeats
 * the previous word (dropped), `[options]` stands for flags shown elsewhere, and a
 * metavariable (`N`, `DIR`, `I/N`) stands for a value, checked as `1` (`1/2`).
 */
export function fromSynopsis(args: string[]): string[] {
  return args
    .filter((a) => !/^\[?[a-z ]*options\]$/.test(a) && a !== '[engine')
    .map((a) => a.replace(/[[\]]/g, ''))
    .map((a) => (/^[a-z-]+\|/.test(a) ? a.split('|')[0]! : a))
    .map((a) => (/^[A-Z][A-Z0-9_]*\/[A-Z][A-Z0-9_]*$/.test(a) ? '1/2' : /^[A-Z][A-Z0-9_]*$/.test(a) ? '1' : a))
    .filter((a, i, all) => a !== '' && a !== '...' && !(a.startsWith('-') && all[i + 1] === '...'));
}

function silence(cmd: Command): void {
  cmd.exitOverride();
  cmd.configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
  for (const sub of cmd.commands) silence(sub);
}

/**
 * Check one documented command against the CLI's own parser: the subcommands exist, every
 * flag is known and gets a value it accepts, and the operands fit the command. Nothing runs.
 * Returns null when it parses, else why not.
 */
export function checkCommand(program: Command, args: string[]): string | null {
  silence(program);
  let cmd = program;
  let rest = fromSynopsis(args);
  while (rest.length && !rest[0]!.startsWith('-')) {
    const sub = cmd.commands.find((c) => c.name() === rest[0] || c.aliases().includes(rest[0]!));
    if (!sub) break;
    cmd = sub;
    rest = rest.slice(1);
  }
  if (cmd === program) return `unknown command "${rest[0] ?? ''}"`;
  if (cmd.commands.length && rest.length && !rest[0]!.startsWith('-')) return `unknown subcommand "${rest[0]}" of "${cmd.name()}"`;
  rest = rest.filter((a) => a !== '--help' && a !== '-h');
  let parsed: { operands: string[]; unknown: string[] };
  try {
    parsed = cmd.parseOptions(rest);
  } catch (e) {
    if (e instanceof CommanderError) return e.message;
    return e instanceof Error ? e.message : String(e);
  }
  if (parsed.unknown.length) return `unknown option ${parsed.unknown[0]} for "${cmd.name()}"`;
  const declared = cmd.registeredArguments;
  const variadic = declared.some((a) => a.variadic);
  if (!variadic && parsed.operands.length > declared.length) {
    return `"${cmd.name()}" takes ${declared.length} argument(s), got ${parsed.operands.length}: ${parsed.operands.join(' ')}`;
  }
  return null;
}

/** All documented commands of the repository at `root`. */
export function documentedCommands(root: string): DocCommand[] {
  return documentationFiles(root).flatMap((f) => extractCommands(f, readFileSync(path.join(root, f), 'utf8')));
}

const RUNNABLE = new Set(['dataset', 'run', 'generate', 'evaluate', 'report', 'analyze', 'doctor', 'repair', 'merge']);

/**
 * Whether a documented command can run offline in a test: no network model, no API key, no
 * server left running, no cluster, no download, no install, no placeholder to fill in.
 */
export function runsOffline(c: DocCommand): boolean {
  if (c.parseOnly || !RUNNABLE.has(c.args[0] ?? '')) return false;
  if (c.args[0] === 'dataset' && c.args[1] === 'fetch') return false;
  if (Object.keys(c.env).some((k) => /KEY|TOKEN/.test(k))) return false;
  const models = c.args.flatMap((a, i) => (a === '--model' || a === '-m' ? [c.args[i + 1] ?? ''] : []));
  if (models.some((m) => !/^([\w.-]+=)?(reference|replay):/.test(m))) return false;
  if (c.args.some((a) => ['--open', '--slurm', '--batch', '--batch-detach', '--fix', '--help', '-h'].includes(a))) return false;
  return !c.args.some((a) => /[[\]<>]|\.\.\./.test(a) || /^[A-Z][A-Z0-9_]*(\/[A-Z0-9_]+)?$/.test(a) || /(^|=)(DIR|FILE|PATH|N)\b/.test(a));
}
