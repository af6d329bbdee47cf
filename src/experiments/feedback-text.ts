import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Finding } from '../analyzers/types.js';
import { UserError } from '../core/errors.js';
import type { ExecResult } from '../core/exec.js';
import { packageFile } from '../io/paths.js';

/**
 * What the model is told between rounds of a feedback-repair experiment. Everything here is
 * pure and deterministic for the same verdict: the feedback becomes part of the next prompt,
 * and the response cache only answers a repeated run when that prompt is byte-identical.
 */

export const FEEDBACK_PLACEHOLDERS = ['findings', 'test_results', 'entry_point', 'round', 'rounds'] as const;
export type FeedbackPlaceholder = (typeof FEEDBACK_PLACEHOLDERS)[number];

export interface FeedbackTemplate {
  /** "feedback-tests.chat" for a built-in template, else the file's path. */
  name: string;
  parts: (string | { name: FeedbackPlaceholder })[];
  uses: Set<FeedbackPlaceholder>;
}

const PLACEHOLDER = /\{\{([^{}]*)\}\}/g;

/** Parse a feedback turn template: plain text with `{{name}}` placeholders. */
export function parseFeedbackTemplate(text: string, name: string, where: string = name): FeedbackTemplate {
  const body = text.replace(/\r\n/g, '\n').trim();
  if (!body) throw new UserError(`${where}: empty template`);
  const parts: FeedbackTemplate['parts'] = [];
  const uses = new Set<FeedbackPlaceholder>();
  let last = 0;
  for (const m of body.matchAll(PLACEHOLDER)) {
    const inner = m[1]!.trim();
    if (!(FEEDBACK_PLACEHOLDERS as readonly string[]).includes(inner)) {
      const line = body.slice(0, m.index).split('\n').length;
      throw new UserError(`${where}:${line}: unknown placeholder "${m[0]}" in a feedback template (known: ${FEEDBACK_PLACEHOLDERS.join(', ')})`);
    }
    if (m.index > last) parts.push(body.slice(last, m.index));
    parts.push({ name: inner as FeedbackPlaceholder });
    uses.add(inner as FeedbackPlaceholder);
    last = m.index + m[0].length;
  }
  if (last < body.length) parts.push(body.slice(last));
  return { name, parts, uses };
}

export function renderFeedback(t: FeedbackTemplate, values: Record<FeedbackPlaceholder, string>): string {
  return t.parts.map((p) => (typeof p === 'string' ? p : values[p.name])).join('');
}

export function feedbackTemplateFile(kind: string): string {
  return `feedback-${kind}.chat.txt`;
}

/**
 * The feedback turn of one kind: the built-in one, or `feedback-<kind>.chat.txt` from a
 * --prompt-template folder. A kind whose feedback carries findings or test results must
 * place them, or the model would be asked to fix what it is never shown.
 */
export function loadFeedbackTemplate(kind: string, override: string | undefined, required: readonly FeedbackPlaceholder[]): FeedbackTemplate {
  const fileName = feedbackTemplateFile(kind);
  const custom = override !== undefined && existsSync(override) && statSync(override).isDirectory() ? path.join(override, fileName) : null;
  const file = custom && existsSync(custom) ? custom : packageFile('prompts', fileName);
  const name = file === custom ? path.resolve(file) : `feedback-${kind}.chat`;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read prompt template ${file}: ${(e as Error).message}`);
  }
  const t = parseFeedbackTemplate(text, name, file);
  const missing = required.filter((p) => !t.uses.has(p));
  if (missing.length) throw new UserError(`${file}: the feedback template must use ${missing.map((m) => `{{${m}}}`).join(' and ')}`);
  return t;
}

// ---------------------------------------------------------------------------------------
// Test results, as a CI run would show them
// ---------------------------------------------------------------------------------------

/** 1-based Test lines that start an assert statement: the checks, numbered in order. */
export function checkLines(test: string): number[] {
  const out: number[] = [];
  test.split(/\r?\n/).forEach((l, i) => {
    if (/^\s*assert\b/.test(l)) out.push(i + 1);
  });
  return out;
}

/** The candidate runs as `<workdir>/main.py` (see the runner's child.py). */
const PROGRAM_FRAME = /^\s*File "[^"]*\/main\.py", line (\d+), in (.+)$/;
const ANY_FRAME = /^\s*File "([^"]*)", line (\d+), in (.+)$/;
const TEST_FRAME = /^\s*File "[^"]*<test>", line (\d+), in /;
const CARETS = /^\s*[~^]+\s*$/;
const MAX_LINE = 300;
const MAX_TRACE_LINES = 40;

/**
 * Addresses, temporary names and timestamps differ from run to run; left in, they would make
 * every rerun's feedback, and so its prompt, new, and the response cache could not answer it.
 */
export function stabilize(text: string): string {
  return text
    .replace(/0x[0-9a-fA-F]{4,}/g, '0x…')
    .replace(/\/tmp\/[A-Za-z0-9_.-]+/g, '/tmp/…')
    .replace(/\/ws\/s\d+\//g, '')
    .replace(/\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:[.,]\d+)?/g, '<time>');
}

function clip(s: string): string {
  return s.length > MAX_LINE ? `${s.slice(0, MAX_LINE)}…` : s;
}

/**
 * The frames of every traceback in stderr that lie in the candidate's own file, with their
 * source lines, and each traceback's final exception line. Frames in the Test and in
 * libraries are left out: the Test's source is what the model must not see, and library
 * frames are noise a developer skips too.
 */
export function programTraceback(stderr: string): { lines: string[]; testLine: number | null } {
  const out: string[] = [];
  let testLine: number | null = null;
  const rows = stderr.split('\n');
  for (let i = 0; i < rows.length; i++) {
    if (rows[i]!.trim() !== 'Traceback (most recent call last):') continue;
    const block: string[] = [];
    let j = i + 1;
    while (j < rows.length && /^\s/.test(rows[j]!)) {
      const row = rows[j]!;
      const own = PROGRAM_FRAME.exec(row);
      const test = TEST_FRAME.exec(row);
      if (test) testLine = Number(test[1]);
      if (own) {
        block.push(`  File "main.py", line ${own[1]}, in ${own[2]}`);
        const src = rows[j + 1];
        if (src !== undefined && /^\s/.test(src) && !ANY_FRAME.test(src) && !CARETS.test(src)) {
          block.push(`    ${src.trim()}`);
          j++;
        }
      } else if (ANY_FRAME.test(row)) {
        // A frame elsewhere: skip it and its source line.
        if (rows[j + 1] !== undefined && !ANY_FRAME.test(rows[j + 1]!) && /^\s/.test(rows[j + 1]!)) j++;
      }
      j++;
    }
    const last = rows[j]?.trim();
    if (block.length || last) {
      out.push('Traceback (frames in your program only):', ...block);
      if (last) out.push(last);
    }
    i = j;
  }
  const kept = out.length > MAX_TRACE_LINES ? ['…', ...out.slice(-MAX_TRACE_LINES)] : out;
  return { lines: kept.map((l) => clip(stabilize(l))), testLine };
}

function checkName(n: number, total: number): string {
  return `check ${n} of ${total}`;
}

/**
 * A test run as a CI log would show it: the outcome, the exception type and message, the
 * traceback lines inside the candidate's own code, and which check failed by its number.
 * Never the Test's source: no assertion text, no assertion message (authors write them in
 * the Test), no test frames.
 */
export function testReport(r: ExecResult, test: string): string {
  if (r.cases?.length) return caseReport(r);
  const checks = checkLines(test);
  const total = checks.length;
  const numberOf = (line: number | null, atOrAfter: boolean): number | null => {
    if (line === null) return null;
    const i = atOrAfter ? checks.findIndex((l) => l >= line) : checks.indexOf(line);
    return i === -1 ? null : i + 1;
  };
  const trace = programTraceback(r.stderrTail);
  const lines: string[] = [];
  switch (r.status) {
    case 'passed':
      lines.push(`Result: passed. All ${total} check(s) of the hidden test passed.`);
      break;
    case 'failed': {
      const m = /at test line (\d+)/.exec(r.detail);
      const n = numberOf(m ? Number(m[1]) : null, false);
      lines.push(
        n !== null
          ? `Result: failed. Check ${n} of ${total} of the hidden test failed (an assertion; the test's source is not shown).`
          : `Result: failed. An assertion of the hidden test failed (${total} check(s) in all; the test's source is not shown).`,
      );
      break;
    }
    case 'error': {
      const n = numberOf(trace.testLine, true);
      const where = n !== null ? ` It happened while the test ran, before ${checkName(n, total)} was reached.` : '';
      lines.push(`Result: error. ${clip(stabilize(r.detail.replace(/ \(?test line \d+\)?/g, '')))}.${where}`);
      break;
    }
    case 'timeout':
      lines.push(`Result: timeout. The program gave no result within the time limit (${r.detail}); look for loops that never end or calls that wait forever.`);
      break;
    case 'memory':
      lines.push(`Result: out of memory. ${clip(stabilize(r.detail))}.`);
      break;
    case 'resource':
      lines.push(`Result: a limit on the whole program was reached. ${clip(stabilize(r.detail))}.`);
      break;
    case 'killed':
      lines.push(`Result: killed. ${clip(stabilize(r.detail))}.`);
      break;
    case 'sandbox-error':
      lines.push(`Result: the test environment itself failed (${clip(stabilize(r.detail))}); this says nothing about your program.`);
      break;
  }
  if (r.status !== 'passed' && trace.lines.length) lines.push('', ...trace.lines);
  return lines.join('\n');
}

/**
 * A test-file run (SALLM, CWEval): which cases failed, by name and role, as a test runner's
 * summary shows them; an exception by its type only, never an assertion's message.
 */
function caseReport(r: ExecResult): string {
  const cases = r.cases!;
  const bad = cases.filter((c) => c.outcome === 'failed' || c.outcome === 'error');
  if (!bad.length) return `Result: passed. All ${cases.length} test case(s) of the hidden test passed.`;
  const what = (c: (typeof cases)[number]) => {
    const role = c.role ? ` (a ${c.role} check)` : '';
    const raised = c.outcome === 'error' ? `: raised ${/^([\w.]+)/.exec(c.detail ?? '')?.[1] ?? 'an exception'}` : '';
    return `- ${clip(stabilize(c.name))}${role}${raised}`;
  };
  const lines = [`Result: failed. ${bad.length} of ${cases.length} test case(s) of the hidden test failed (the test's source is not shown):`, ...bad.map(what)];
  const trace = programTraceback(r.stderrTail);
  if (trace.lines.length) lines.push('', ...trace.lines);
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------
// Static-analysis findings
// ---------------------------------------------------------------------------------------

/** Findings as a developer would read them in a linter's output, by line. */
export function findingsReport(analyzer: string, findings: readonly Finding[] | null, error: string | null): string {
  if (error !== null) return `The static analyzer (${analyzer}) could not read your program: ${clip(stabilize(error))}`;
  if (!findings || findings.length === 0) return `The static analyzer (${analyzer}) reports no issues.`;
  const sorted = [...findings].sort((a, b) => a.line - b.line || (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0));
  return [
    `The static analyzer (${analyzer}) reports ${findings.length} issue(s):`,
    ...sorted.map(
      (f) => `- line ${f.line}: ${f.rule}${f.cwe ? ` (${f.cwe})` : ''}, severity ${f.severity.toLowerCase()}, confidence ${f.confidence.toLowerCase()}: ${clip(stabilize(f.message))}`,
    ),
  ].join('\n');
}
