/**
 * One sample's page body from its result line: the program as highlighted tokens, diffs
 * against the references, outputs, rounds, other fields. Pure (bytes in, JSON-able value
 * out), so it runs alike in the request handler for ordinary samples and in the viewer's
 * worker thread for big ones (sample-pool.ts).
 *
 * Whatever a line holds, the answer stays small and quick: a program is highlighted up to
 * SHOWN_LINES lines / SHOWN_CHARS characters, every other text is cut at TEXT_CHARS, and a
 * diff is made only for a program shown whole. What was cut is listed in `truncated`, each
 * with the URL that serves the whole text (`/api/sample-text`).
 */
import { highlight, lineDiff, type CodeLines, type DiffOp } from './highlight.js';
import { parseJsonText, ResultLine, SampleRound } from './sources.js';

export const SHOWN_LINES = 2000;
export const SHOWN_CHARS = 100_000;
export const TEXT_CHARS = 100_000;

/** Fields that `/api/sample-text` serves whole. */
export const TEXT_FIELDS = ['program', 'raw', 'stdout_tail', 'stderr_tail', 'detail', 'extraction'] as const;
export type TextField = (typeof TEXT_FIELDS)[number];

export interface SampleRefs {
  /** The task's Secure and Insecure Code; null when the dataset lacks the task (or the code). */
  secure: string | null;
  insecure: string | null;
}

export interface Truncation {
  field: string;
  shown_chars: number;
  chars: number;
  shown_lines?: number;
  lines?: number;
  /** Serves the whole text; null for fields only shown in part (a round's program). */
  url: string | null;
}

const ROUND_FIELDS = new Set(['round', 'feedback', 'raw', 'solution', 'extraction', 'status', 'passed', 'detail', 'findings', 'error', 'usage', 'cached']);
// Shown in their own places on the page; everything else goes under "all fields".
const SHOWN_FIELDS = new Set([
  'task_id', 'sample_index', 'model', 'experiment', 'passed', 'status', 'detail', 'duration_ms', 'stdout_tail', 'stderr_tail',
  'solution', 'completion', 'raw', 'extraction', 'prompt', 'rounds', 'soft', 'cases',
]);

/**
 * The Test line an uncaught exception came from: the innermost frame of the traceback the
 * runner prints that lies in the Test (the runner compiles it under the name `<test>`).
 */
export function exceptionTestLine(stderr: string): number | null {
  let line: number | null = null;
  for (const m of stderr.matchAll(/File "[^"\n]*<test>", line (\d+)/g)) line = Number(m[1]);
  return line;
}

export function parseSampleLine(bytes: Uint8Array, where: string): ResultLine {
  return parseJsonText(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'), ResultLine, where);
}

/** The whole text of one field, as `/api/sample-text` serves it. */
export function sampleText(line: ResultLine, field: TextField): string {
  const rec = line as Record<string, unknown>;
  if (field === 'program') return line.solution ?? line.completion ?? '';
  const v = rec[field];
  if (v === undefined || v === null) return '';
  return typeof v === 'string' ? v : JSON.stringify(v, null, 1);
}

/** End of the first `lines` lines, within `chars` characters. */
function cutPoint(text: string, lines: number, chars: number): { end: number; lines: number } {
  let end = 0;
  let n = 0;
  while (n < lines) {
    const nl = text.indexOf('\n', end);
    if (nl < 0 || nl >= chars) return { end: Math.min(text.length, chars), lines: n + 1 };
    end = nl + 1;
    n++;
  }
  return { end, lines: n };
}

function countLines(text: string): number {
  let n = 1;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** Highlighted lines of at most SHOWN_LINES lines / SHOWN_CHARS characters of `code`. */
function shownProgram(code: string): { tokens: CodeLines; whole: boolean; shownChars: number; shownLines: number } {
  if (code.length <= SHOWN_CHARS) {
    const tokens = highlight(code);
    if (tokens.length <= SHOWN_LINES) return { tokens, whole: true, shownChars: code.length, shownLines: tokens.length };
  }
  const cut = cutPoint(code, SHOWN_LINES, SHOWN_CHARS);
  // Cut after a newline: leave it out, or the page would show an empty line that is not there.
  const part = code.slice(0, code[cut.end - 1] === '\n' ? cut.end - 1 : cut.end);
  return { tokens: highlight(part), whole: false, shownChars: part.length, shownLines: cut.lines };
}

export function renderSample(line: ResultLine, refs: SampleRefs, textUrl: (field: TextField) => string) {
  const rec = line as Record<string, unknown>;
  const truncated: Truncation[] = [];
  const capped = (field: string, v: string, url: string | null): string => {
    if (v.length <= TEXT_CHARS) return v;
    truncated.push({ field, shown_chars: TEXT_CHARS, chars: v.length, url });
    return `${v.slice(0, TEXT_CHARS)}…`;
  };
  const cappedField = (field: TextField, v: string) => capped(field, v, textUrl(field));
  const program = sampleText(line, 'program');
  const shown = shownProgram(program);
  if (!shown.whole) {
    truncated.push({ field: 'program', shown_chars: shown.shownChars, chars: program.length, shown_lines: shown.shownLines, lines: countLines(program), url: textUrl('program') });
  }
  // A diff of a part would show the rest as removed: only a program shown whole is compared.
  const diff: { secure: DiffOp[] | null; insecure: DiffOp[] | null } = {
    secure: shown.whole && refs.secure !== null ? lineDiff(refs.secure, program) : null,
    insecure: shown.whole && refs.insecure !== null ? lineDiff(refs.insecure, program) : null,
  };
  const text = (k: TextField) => (typeof rec[k] === 'string' ? cappedField(k, rec[k] as string) : null);
  const rounds = Array.isArray(rec.rounds)
    ? (rec.rounds as unknown[]).map((raw, i) => {
        const p = SampleRound.safeParse(raw);
        if (!p.success) return { round: i, invalid: capped(`rounds.${i}`, JSON.stringify(raw, null, 1) ?? 'null', null) };
        const r = p.data;
        const extra = Object.fromEntries(Object.entries(r).filter(([k]) => !ROUND_FIELDS.has(k)));
        const prog = shownProgram(r.solution);
        if (!prog.whole) truncated.push({ field: `rounds.${i}.solution`, shown_chars: prog.shownChars, chars: r.solution.length, url: null });
        return {
          round: r.round,
          feedback: r.feedback === null ? null : capped(`rounds.${i}.feedback`, r.feedback, null),
          raw: capped(`rounds.${i}.raw`, r.raw, null),
          extraction: r.extraction,
          program: prog.tokens,
          status: r.status,
          passed: r.passed,
          detail: r.detail === null ? null : capped(`rounds.${i}.detail`, r.detail, null),
          findings: r.findings ?? null,
          error: r.error,
          extra: Object.keys(extra).length ? capped(`rounds.${i}.extra`, JSON.stringify(extra, null, 1), null) : null,
        };
      })
    : null;
  const rest = Object.fromEntries(Object.entries(rec).filter(([k]) => !SHOWN_FIELDS.has(k)));
  return {
    program: shown.tokens,
    from_completion: line.solution === undefined && line.completion !== undefined,
    diff,
    stdout_tail: cappedField('stdout_tail', line.stdout_tail ?? ''),
    stderr_tail: cappedField('stderr_tail', line.stderr_tail ?? ''),
    detail: cappedField('detail', line.detail),
    raw: text('raw'),
    extraction: rec.extraction === undefined ? null : cappedField('extraction', typeof rec.extraction === 'string' ? rec.extraction : JSON.stringify(rec.extraction)),
    prompt: rec.prompt === undefined ? null : rec.prompt,
    soft: rec.soft === undefined ? null : capped('soft', JSON.stringify(rec.soft, null, 1), null),
    /** Test-file benchmarks: each test case with its role (functionality / security) and outcome. */
    cases: line.cases ?? null,
    exception_line: line.status === 'error' ? exceptionTestLine(line.stderr_tail ?? '') : null,
    rounds,
    fields: capped('fields', JSON.stringify(rest, null, 1), null),
    truncated,
  };
}

export type RenderedSample = ReturnType<typeof renderSample>;
