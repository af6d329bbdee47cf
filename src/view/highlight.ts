import { diffArrays } from 'diff';
import Prism from 'prismjs';
import loadLanguages from 'prismjs/components/index.js';

/**
 * Code goes to the browser as tokens, never as markup: each line is a list of
 * `[className, text]` pairs that the page turns into spans with `textContent`. Model output
 * can therefore hold any characters (`</script>`, `<img onerror=...>`) without ever being
 * parsed as HTML, and highlighting needs no escaping step that could be got wrong.
 */
export type Token = [cls: string, text: string];
export type CodeLines = Token[][];

loadLanguages(['python']);
const PYTHON = Prism.languages.python!;

/** Prism's token types, folded into the few classes the stylesheet colours. */
const CLASS: Record<string, string> = {
  keyword: 'k',
  builtin: 'b',
  boolean: 'b',
  string: 's',
  'string-interpolation': 's',
  'triple-quoted-string': 's',
  char: 's',
  comment: 'c',
  number: 'n',
  function: 'f',
  'class-name': 'f',
  decorator: 'd',
  annotation: 'd',
  operator: 'o',
};

function classOf(t: Prism.Token): string {
  const direct = CLASS[t.type];
  if (direct) return direct;
  const aliases = Array.isArray(t.alias) ? t.alias : t.alias ? [t.alias] : [];
  for (const a of aliases) if (CLASS[a]) return CLASS[a]!;
  return '';
}

function flatten(stream: Prism.TokenStream, inherited: string, out: Token[]): void {
  if (typeof stream === 'string') {
    out.push([inherited, stream]);
    return;
  }
  if (Array.isArray(stream)) {
    for (const s of stream) flatten(s, inherited, out);
    return;
  }
  // An interpolation inside an f-string gets its own colours; plain string text keeps the parent's.
  flatten(stream.content, classOf(stream) || inherited, out);
}

/** Highlighted lines of a Python program; a line's tokens concatenate to exactly its text. */
export function highlight(code: string): CodeLines {
  const flat: Token[] = [];
  flatten(Prism.tokenize(code, PYTHON), '', flat);
  const lines: CodeLines = [[]];
  for (const [cls, text] of flat) {
    const parts = text.split('\n');
    parts.forEach((part, i) => {
      if (i > 0) lines.push([]);
      if (part) lines[lines.length - 1]!.push([cls, part]);
    });
  }
  return lines;
}

/**
 * A line diff from `from` (a reference) to `to` (the sample's program): each entry is
 * `[op, line]`, op ' ' (line of both, numbered in `to`), '-' (only in `from`) or '+' (only in
 * `to`), line numbers 0-based. Trailing whitespace is ignored so that an editor's stray
 * spaces do not hide the real change.
 */
export type DiffOp = [op: ' ' | '-' | '+', line: number];

export function lineDiff(from: string, to: string): DiffOp[] {
  const a = from.split('\n');
  const b = to.split('\n');
  const parts = diffArrays(
    a.map((l) => l.trimEnd()),
    b.map((l) => l.trimEnd()),
  );
  const out: DiffOp[] = [];
  let i = 0;
  let j = 0;
  for (const p of parts) {
    for (let n = 0; n < p.count; n++) {
      if (p.removed) out.push(['-', i++]);
      else if (p.added) out.push(['+', j++]);
      else {
        out.push([' ', j++]);
        i++;
      }
    }
  }
  return out;
}
