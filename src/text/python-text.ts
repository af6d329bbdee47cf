/**
 * Just enough lexing of Python to split source into top-level statements: it tracks strings
 * (triple-quoted ones span lines), brackets and backslash continuations, so a line at column 0
 * inside a docstring or a call's arguments is not taken for a new statement. No parser is
 * needed for extraction and none would accept the broken code models sometimes write.
 */

export interface LineInfo {
  text: string;
  /** True when the line begins a new logical statement (not inside a string, brackets or a continuation). */
  startsStatement: boolean;
  blank: boolean;
  /** Only a comment (after optional indentation). */
  commentOnly: boolean;
  indented: boolean;
  /** The line with string contents and comments blanked out, for finding the names code uses. */
  code: string;
}

export type SegmentKind = 'def' | 'class' | 'import' | 'main-guard' | 'other' | 'prose' | 'preamble';

export interface Segment {
  /** First line (inclusive) and end line (exclusive), indices into the lines. */
  start: number;
  end: number;
  kind: SegmentKind;
  /** Name defined by a def or class. */
  name: string | null;
  /** The segment's first line that is not a decorator. */
  header: string;
}

/**
 * Whether a line at column 0 reads as Python rather than prose. Used to keep the prose around
 * unfenced code out of the program, and to recover when prose leaves a bracket or quote open.
 */
export function looksLikeCodeLine(line: string): boolean {
  const l = line.trimEnd();
  if (!l) return true;
  if (/^(?:#|@[\w.]+|"|'|[)\]}])/.test(l)) return true;
  if (/^(?:async\s+def|def|class)\s+[A-Za-z_]\w*\s*[(:]/.test(l)) return true;
  if (/^(?:import\s+[\w.]+(?:\s+as\s+\w+)?(?:\s*,\s*[\w.]+(?:\s+as\s+\w+)?)*\s*(?:#.*)?$|from\s+\.*[\w.]*\s+import\s)/.test(l)) return true;
  if (/^(?:if|elif|while|for|with|try|except|finally|else|async\s+with|async\s+for|match|case)\b[^\n]*:\s*(?:#.*)?$/.test(l)) return true;
  if (/^(?:return|raise|assert|pass|break|continue|del|global|nonlocal|yield)\b/.test(l)) return true;
  if (/^[A-Za-z_][\w.]*(?:\[[^\]]*\])?(?:\s*,\s*[A-Za-z_][\w.]*)*\s*(?:[-+*/%&|^@]|\/\/|\*\*|<<|>>)?=(?!=)/.test(l)) return true;
  if (/^[A-Za-z_]\w*\s*:\s*[\w.[\], |]+\s*=(?!=)/.test(l)) return true;
  if (/^[A-Za-z_][\w.]*\(/.test(l)) return true;
  return false;
}

/**
 * Whether a column-0 line is plainly a sentence or a Markdown list item: a capitalised word
 * followed by more words, "1. ...", "- ...". Only such lines close a bracket that prose left
 * open; data lines inside real brackets ("1,", "'a': 2,") never look like this.
 */
export function looksLikeProseLine(line: string): boolean {
  return !looksLikeCodeLine(line) && /^(?:[A-Z][A-Za-z']*,?\s+[^\s=]+\s+\S|\d+[.)]\s+\S|[-*+]\s+\S)/.test(line);
}

/** Split into lines and mark which lines start statements. `proseResets` lets a prose-looking line close a dangling bracket. */
export function scanLines(source: string, proseResets = false): LineInfo[] {
  const lines = source.split('\n');
  const out: LineInfo[] = [];
  let triple: string | null = null;
  let depth = 0;
  let continued = false;
  for (const text of lines) {
    const indented = /^[ \t]/.test(text);
    const blank = text.trim() === '';
    if (proseResets && triple === null && (depth > 0 || continued) && !indented && looksLikeProseLine(text)) {
      depth = 0;
      continued = false;
    }
    const startsStatement = triple === null && depth === 0 && !continued;
    const commentOnly = triple === null && /^\s*#/.test(text);
    let i = 0;
    let inComment = false;
    let code = '';
    while (i < text.length) {
      const c = text[i]!;
      if (triple !== null) {
        if (c === '\\') {
          i += 2;
          continue;
        }
        if (text.startsWith(triple, i)) {
          i += 3;
          triple = null;
          continue;
        }
        i++;
        continue;
      }
      if (c === '#') {
        inComment = true;
        break;
      }
      if (c === '"' || c === "'") {
        const three = c.repeat(3);
        code += ' ';
        if (text.startsWith(three, i)) {
          triple = three;
          i += 3;
          continue;
        }
        // A one-line string; an unterminated one (an apostrophe in prose) ends with the line.
        i++;
        while (i < text.length && text[i] !== c) i += text[i] === '\\' ? 2 : 1;
        i++;
        continue;
      }
      if (c === '(' || c === '[' || c === '{') depth++;
      else if (c === ')' || c === ']' || c === '}') depth = Math.max(0, depth - 1);
      code += c;
      i++;
    }
    continued = triple === null && !inComment && /\\$/.test(text);
    out.push({ text, startsStatement, blank, commentOnly, indented, code });
  }
  return out;
}

function kindOf(header: string): { kind: SegmentKind; name: string | null } {
  const def = /^(?:async\s+)?def\s+([A-Za-z_]\w*)/.exec(header);
  if (def) return { kind: 'def', name: def[1]! };
  const cls = /^class\s+([A-Za-z_]\w*)/.exec(header);
  if (cls) return { kind: 'class', name: cls[1]! };
  if (/^(?:import|from)\s/.test(header)) return { kind: 'import', name: null };
  if (/^if\s+__name__\s*==\s*['"]__main__['"]\s*:/.test(header)) return { kind: 'main-guard', name: null };
  return { kind: looksLikeCodeLine(header) ? 'other' : 'prose', name: null };
}

/**
 * Top-level statements. Decorators join the def or class they decorate; comments and blank
 * lines belong to the statement before them (before the first one: a `preamble` segment).
 */
export function topLevelSegments(lines: LineInfo[]): Segment[] {
  const segs: Segment[] = [];
  let pendingDecorator: number | null = null;
  lines.forEach((l, i) => {
    const starts = l.startsStatement && !l.indented && !l.blank && !l.commentOnly;
    if (!starts) {
      if (!segs.length && pendingDecorator === null) segs.push({ start: i, end: i + 1, kind: 'preamble', name: null, header: '' });
      else if (segs.length) segs[segs.length - 1]!.end = i + 1;
      return;
    }
    if (/^@/.test(l.text)) {
      if (pendingDecorator === null) pendingDecorator = i;
      return;
    }
    const start = pendingDecorator ?? i;
    pendingDecorator = null;
    // Lines between the decorators and the def were given to the previous segment: take them back.
    if (segs.length) segs[segs.length - 1]!.end = Math.min(segs[segs.length - 1]!.end, start);
    const { kind, name } = kindOf(l.text);
    segs.push({ start, end: i + 1, kind, name, header: l.text });
  });
  if (pendingDecorator !== null) {
    segs.push({ start: pendingDecorator, end: lines.length, kind: 'other', name: null, header: lines[pendingDecorator]!.text });
  }
  return segs;
}

export function segmentText(lines: LineInfo[], seg: Segment): string {
  return lines
    .slice(seg.start, seg.end)
    .map((l) => l.text)
    .join('\n');
}

const IDENT = /[A-Za-z_]\w*/g;

/**
 * Identifiers a piece of code mentions outside strings and comments (attribute names
 * included: a cheap over-approximation that only ever brings in too much, never too little).
 */
export function namesUsed(code: string): Set<string> {
  const out = new Set<string>();
  for (const l of scanLines(code)) for (const m of l.code.match(IDENT) ?? []) out.add(m);
  return out;
}

/** Names a top-level statement binds: def/class names, imported names, assignment targets. */
export function namesDefined(seg: Segment, text: string): Set<string> {
  const out = new Set<string>();
  if (seg.name) out.add(seg.name);
  if (seg.kind === 'import') {
    const flat = text.replace(/[()\\\n]/g, ' ');
    const from = /^\s*from\s+\S+\s+import\s+(.*)$/s.exec(flat);
    const items = from ? from[1]! : (/^\s*import\s+(.*)$/s.exec(flat)?.[1] ?? '');
    for (const item of items.split(',')) {
      const parts = item.trim().split(/\s+as\s+/);
      const bound = (parts[1] ?? parts[0] ?? '').trim();
      // `import a.b` binds `a`.
      const name = from || parts[1] ? bound : bound.split('.')[0]!;
      if (/^[A-Za-z_]\w*$/.test(name)) out.add(name);
    }
  }
  if (seg.kind === 'other') {
    const assign = /^([A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*)\s*(?::[^=]*)?=(?!=)/.exec(seg.header);
    if (assign) for (const n of assign[1]!.split(',')) out.add(n.trim());
  }
  return out;
}

const IDENTS = /[A-Za-z_]\w*/g;

/**
 * Every name the code binds anywhere, locals included: parameters, assignment and loop
 * targets, `as` names, globals. Used to tell a name the code really lacks from one of its own
 * locals, so nothing is brought in for a parameter that shares its name with a global elsewhere.
 */
export function namesBound(code: string): Set<string> {
  const masked = scanLines(code)
    .map((l) => l.code)
    .join('\n');
  const out = new Set<string>();
  const add = (text: string | undefined) => {
    for (const m of (text ?? '').match(IDENTS) ?? []) out.add(m);
  };
  for (const m of masked.matchAll(/\b(?:def|class)\s+([A-Za-z_]\w*)/g)) out.add(m[1]!);
  // Parameters, without their defaults and annotations.
  for (const m of masked.matchAll(/\bdef\s+[A-Za-z_]\w*\s*\(([^)]*)\)/g)) {
    for (const p of m[1]!.split(',')) add(/^\s*\**\s*([A-Za-z_]\w*)/.exec(p)?.[1]);
  }
  for (const m of masked.matchAll(/\blambda\b([^:]*):/g)) {
    for (const p of m[1]!.split(',')) add(/^\s*\**\s*([A-Za-z_]\w*)/.exec(p)?.[1]);
  }
  for (const line of masked.split('\n')) {
    const assign = /^\s*([A-Za-z_][\w\s,()[\]*]*?)\s*(?::[^=]*)?(?:[-+*/%&|^@]|\/\/|\*\*|<<|>>)?=(?!=)/.exec(line);
    // Only plain names are bound by `a, b = ...`; `x.y = ...` and `x[i] = ...` bind nothing new.
    if (assign && !/[.[]/.test(assign[1]!)) add(assign[1]);
  }
  for (const m of masked.matchAll(/\bfor\s+([\w\s,()]+?)\s+in\b/g)) add(m[1]);
  for (const m of masked.matchAll(/\bas\s+([A-Za-z_]\w*)/g)) out.add(m[1]!);
  for (const m of masked.matchAll(/([A-Za-z_]\w*)\s*:=/g)) out.add(m[1]!);
  for (const m of masked.matchAll(/\b(?:global|nonlocal)\s+([\w\s,]+)/g)) add(m[1]);
  for (const m of masked.matchAll(/\bimport\s+([\w\s,.]+)/g)) add(m[1]?.replace(/\.\w+/g, ''));
  return out;
}
