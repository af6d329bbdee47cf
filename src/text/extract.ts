import {
  type LineInfo,
  type Segment,
  namesBound,
  namesDefined,
  namesUsed,
  scanLines,
  segmentText,
  topLevelSegments,
} from './python-text.js';

export interface ExtractContext {
  entryPoint: string;
  style: 'chat' | 'completion';
  /** Completion style: the prompt the answer continues; the program is prompt + answer. */
  prompt?: string;
  /**
   * The task's own code when its Problem is code (SecEvalBase): imports and globals a chat
   * answer uses but left out (`app = Flask(__name__)`) are taken from it.
   */
  context?: string | null;
  /** The answer stopped at the token limit, so its last statement may be cut short. */
  truncated?: boolean;
}

/**
 * The program to run and how it was found. Methods: `fenced:<tag>`, `fenced` (no tag),
 * `fenced-multi`, `truncated-fence`, `bare`, `bare-trimmed`, `completion`,
 * `completion:no-entry-point`, `none`, `truncated-think`; `think+` in front when a reasoning
 * section was removed, `+merged` behind when imports or definitions were brought in from
 * other blocks or from the task's code.
 */
export interface Extraction {
  solution: string;
  method: string;
}

interface Fence {
  lang: string;
  code: string;
  closed: boolean;
}

const PYTHON_TAGS = new Set(['', 'python', 'py', 'python3', 'py3', 'ipython', 'python2']);
const REASONING_TAGS = ['think', 'thinking', 'reasoning'];

function normalise(text: string): string {
  return text.replace(/\r\n?/g, '\n');
}

/** Remove reasoning sections. `unclosed` means the answer ended while still reasoning. */
function stripReasoning(text: string): { text: string; stripped: boolean; unclosed: boolean } {
  let out = text;
  let stripped = false;
  for (const tag of REASONING_TAGS) {
    const closed = new RegExp(`<${tag}>[\\s\\S]*?</${tag}>`, 'gi');
    if (closed.test(out)) {
      out = out.replace(closed, '');
      stripped = true;
    }
    // Some servers drop the opening tag from the text they return but keep the closing one.
    const close = out.toLowerCase().lastIndexOf(`</${tag}>`);
    if (close >= 0) {
      out = out.slice(close + tag.length + 3);
      stripped = true;
    }
    const open = out.toLowerCase().indexOf(`<${tag}>`);
    if (open >= 0) {
      const before = out.slice(0, open);
      return { text: before, stripped: true, unclosed: !before.trim() };
    }
  }
  return { text: out, stripped, unclosed: false };
}

const FENCE_OPEN = /^(\s*)(`{3,}|~{3,})\s*([^\s`{]*)[^`]*$/;

function findFences(text: string): Fence[] {
  const lines = text.split('\n');
  const fences: Fence[] = [];
  let i = 0;
  while (i < lines.length) {
    const m = FENCE_OPEN.exec(lines[i]!);
    if (!m) {
      i++;
      continue;
    }
    const indent = m[1]!.length;
    const marker = m[2]!;
    const lang = m[3]!.toLowerCase();
    const closing = new RegExp(`^\\s*${marker[0] === '`' ? '`' : '~'}{${marker.length},}\\s*$`);
    let j = i + 1;
    while (j < lines.length && !closing.test(lines[j]!)) j++;
    // Fences inside list items are indented; their code is not.
    const body = lines.slice(i + 1, j).map((l) => {
      const lead = /^[ \t]*/.exec(l)![0].length;
      return l.slice(Math.min(lead, indent));
    });
    fences.push({ lang, code: body.join('\n'), closed: j < lines.length });
    i = j + 1;
  }
  return fences;
}

function definesEntry(code: string, entryPoint: string): boolean {
  return new RegExp(`^[ \\t]*(?:async[ \\t]+)?def[ \\t]+${entryPoint}\\b`, 'm').test(code);
}

interface Parsed {
  lines: LineInfo[];
  segs: Segment[];
}

function parse(code: string, proseResets = false): Parsed {
  const lines = scanLines(code, proseResets);
  return { lines, segs: topLevelSegments(lines) };
}

function joinSegments(p: Parsed, segs: Segment[]): string {
  return segs.map((s) => segmentText(p.lines, s)).join('\n');
}

function finish(code: string): string {
  const trimmed = code.replace(/^\s*\n/, '').trimEnd();
  return trimmed ? `${trimmed}\n` : '';
}

/**
 * Drop what must not run: `if __name__ == "__main__":` blocks (they start servers and demos),
 * and, for an answer cut at the token limit, a final statement that is not the entry point.
 */
function tidy(code: string, entryPoint: string, cutShort: boolean): string {
  const p = parse(code);
  let segs = p.segs.filter((s) => s.kind !== 'main-guard');
  if (cutShort && segs.length > 1) {
    const last = segs[segs.length - 1]!;
    if (!(last.kind === 'def' && last.name === entryPoint)) segs = segs.slice(0, -1);
  }
  return finish(joinSegments(p, segs));
}

/** Code to take missing imports and definitions from; assignments only from the task's own code. */
interface Source {
  code: string;
  assignments: boolean;
}

/**
 * Bring in imports and definitions that `code` uses but does not bind, from other code the
 * answer or the task holds. Imports and assignments go first, definitions after (decorated
 * ones last, since their decorators usually need the answer's own globals). Assignments come
 * only from the task's code: in an answer's other blocks they are usage examples that would
 * call the function before it exists.
 */
function supplement(code: string, sources: Source[], entryPoint: string): { code: string; merged: boolean } {
  const own = parse(code);
  const defined = namesBound(code);
  for (const s of own.segs) for (const n of namesDefined(s, segmentText(own.lines, s))) defined.add(n);
  const missing = new Set([...namesUsed(code)].filter((n) => !defined.has(n)));
  const candidates = sources.flatMap((src) => {
    const p = parse(src.code);
    return p.segs
      .filter((s) => s.kind === 'import' || s.kind === 'def' || s.kind === 'class' || (src.assignments && s.kind === 'other'))
      .map((s) => {
        const text = segmentText(p.lines, s);
        return { seg: s, text: text.trimEnd(), binds: namesDefined(s, text) };
      })
      // The entry point must come from the answer: the task's stub or another block's draft
      // standing in for it would score someone else's code.
      .filter((c) => c.binds.size > 0 && !c.binds.has(entryPoint));
  });
  const taken = new Set<number>();
  let changed = true;
  while (changed) {
    changed = false;
    candidates.forEach((c, k) => {
      if (taken.has(k) || ![...c.binds].some((n) => missing.has(n))) return;
      taken.add(k);
      changed = true;
      for (const n of c.binds) {
        missing.delete(n);
        defined.add(n);
      }
      for (const n of namesUsed(c.text)) if (!defined.has(n)) missing.add(n);
    });
  }
  if (!taken.size) return { code, merged: false };
  const picked = candidates.filter((_, k) => taken.has(k));
  const seen = new Set<string>();
  const unique = (list: typeof picked) =>
    list.filter((c) => (seen.has(c.text) ? false : (seen.add(c.text), true))).map((c) => c.text);
  const isDef = (c: (typeof picked)[number]) => c.seg.kind === 'def' || c.seg.kind === 'class';
  const imports = unique(picked.filter((c) => c.seg.kind === 'import'));
  const assigns = unique(picked.filter((c) => c.seg.kind === 'other'));
  const plainDefs = unique(picked.filter((c) => isDef(c) && !c.text.startsWith('@')));
  const decorated = unique(picked.filter((c) => isDef(c) && c.text.startsWith('@')));
  const before = [...imports, ...assigns, ...plainDefs].join('\n');
  const after = decorated.join('\n\n');
  return { code: [before, code.trimEnd(), after].filter(Boolean).join('\n\n'), merged: true };
}

function fromFences(fences: Fence[], ctx: ExtractContext): { code: string; method: string; sources: string[]; open: boolean } | null {
  // A stray closing fence after unfenced code opens an empty "block": not a candidate.
  const nonEmpty = fences.filter((f) => f.code.trim() !== '');
  let candidates = nonEmpty.filter((f) => PYTHON_TAGS.has(f.lang));
  if (!candidates.length) candidates = nonEmpty.filter((f) => definesEntry(f.code, ctx.entryPoint));
  if (!candidates.length) return null;
  if (candidates.length === 1) {
    const f = candidates[0]!;
    const method = !f.closed ? 'truncated-fence' : f.lang ? `fenced:${f.lang}` : 'fenced';
    return { code: f.code, method, sources: [], open: !f.closed };
  }
  // Models show the code, then a variant or a usage example; answers to repair prompts often
  // quote the vulnerable code first. The last complete block defining the entry point wins.
  const defining = candidates.filter((f) => definesEntry(f.code, ctx.entryPoint));
  const closedDefining = defining.filter((f) => f.closed);
  const chosen =
    closedDefining[closedDefining.length - 1] ??
    defining[defining.length - 1] ??
    candidates.reduce((a, b) => (b.code.length > a.code.length ? b : a));
  return {
    code: chosen.code,
    method: chosen.closed ? 'fenced-multi' : 'truncated-fence',
    sources: candidates.filter((f) => f !== chosen).map((f) => f.code),
    open: !chosen.closed,
  };
}

/** Unfenced answers: the run of code statements (around the entry point) among the prose. */
function fromBare(text: string, ctx: ExtractContext): { code: string; method: string; reachesEnd: boolean } | null {
  const p = parse(text, true);
  const runs: Segment[][] = [];
  let current: Segment[] = [];
  for (const s of p.segs) {
    if (s.kind === 'prose') {
      if (current.length) runs.push(current);
      current = [];
    } else if (s.kind !== 'preamble') current.push(s);
  }
  if (current.length) runs.push(current);
  const hasEntry = (r: Segment[]) => r.some((s) => s.kind === 'def' && s.name === ctx.entryPoint);
  const weight = (r: Segment[]) => r.filter((s) => s.kind === 'def' || s.kind === 'class' || s.kind === 'import').length;
  const run = runs.find(hasEntry) ?? runs.filter((r) => weight(r) > 0).sort((a, b) => weight(b) - weight(a))[0];
  if (!run) return null;
  const code = joinSegments(p, run);
  const whole = p.segs.every((s) => s.kind !== 'prose');
  const lastSeg = p.segs[p.segs.length - 1];
  return { code, method: whole ? 'bare' : 'bare-trimmed', reachesEnd: run[run.length - 1] === lastSeg };
}

function extractChat(raw: string, ctx: ExtractContext): Extraction {
  const reasoning = stripReasoning(normalise(raw));
  const prefix = reasoning.stripped ? 'think+' : '';
  if (reasoning.unclosed) return { solution: '', method: 'truncated-think' };
  const text = reasoning.text;
  const fenced = fromFences(findFences(text), ctx);
  let code: string;
  let method: string;
  let sources: string[] = [];
  let cutShort = false;
  if (fenced) {
    ({ code, method, sources } = fenced);
    cutShort = fenced.open && !!ctx.truncated;
  } else {
    const bare = fromBare(text, ctx);
    if (!bare) return { solution: '', method: `${prefix}none` };
    ({ code, method } = bare);
    cutShort = bare.reachesEnd && !!ctx.truncated;
  }
  const all: Source[] = sources.map((c) => ({ code: c, assignments: false }));
  if (ctx.context) all.push({ code: ctx.context, assignments: true });
  const merged = all.length ? supplement(code, all, ctx.entryPoint) : { code, merged: false };
  const solution = tidy(merged.code, ctx.entryPoint, cutShort);
  return { solution, method: `${prefix}${method}${merged.merged ? '+merged' : ''}` };
}

/** Base models continue the prompt: program = prompt + continuation, cut where the function ends. */
function extractCompletion(raw: string, ctx: ExtractContext): Extraction {
  const prompt = normalise(ctx.prompt ?? '');
  let cont = normalise(raw);
  // A continuation that opens a Markdown fence (prose prompts invite it) keeps only the fenced code.
  const lines = cont.split('\n');
  const firstCode = lines.findIndex((l) => l.trim() !== '');
  if (firstCode >= 0 && /^\s*(`{3,}|~{3,})/.test(lines[firstCode]!)) lines.splice(0, firstCode + 1);
  const fenceAt = lines.findIndex((l) => /^\s*(`{3,}|~{3,})/.test(l));
  cont = (fenceAt >= 0 ? lines.slice(0, fenceAt) : lines).join('\n');

  const p = parse(prompt + cont);
  const entryIdx = p.segs.findIndex((s) => s.kind === 'def' && s.name === ctx.entryPoint);
  if (entryIdx < 0) {
    return { solution: tidy(joinSegments(p, p.segs), ctx.entryPoint, !!ctx.truncated), method: 'completion:no-entry-point' };
  }
  const kept = p.segs.slice(0, entryIdx + 1);
  const used = namesUsed(joinSegments(p, kept));
  const defined = new Set(kept.flatMap((s) => [...namesDefined(s, segmentText(p.lines, s))]));
  // After the function, keep only helpers it calls; the first other statement (a test, a
  // print, a main block) ends the program.
  for (const s of p.segs.slice(entryIdx + 1)) {
    if (s.kind !== 'def' && s.kind !== 'class' && s.kind !== 'import') break;
    const text = segmentText(p.lines, s);
    const binds = [...namesDefined(s, text)];
    // A second take on the function (base models repeat themselves) must not replace the first.
    if (binds.some((n) => defined.has(n))) break;
    if (binds.some((n) => used.has(n))) {
      kept.push(s);
      for (const n of binds) defined.add(n);
      for (const n of namesUsed(text)) used.add(n);
    }
  }
  return { solution: finish(joinSegments(p, kept)), method: 'completion' };
}

export function extractProgram(raw: string, ctx: ExtractContext): Extraction {
  return ctx.style === 'completion' ? extractCompletion(raw, ctx) : extractChat(raw, ctx);
}
