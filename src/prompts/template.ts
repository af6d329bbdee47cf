import { UserError } from '../core/errors.js';
import type { Prompt } from '../core/model.js';
import type { Task } from '../core/task.js';

/**
 * Prompt templates are plain text with `{{name}}` or `{{name|filter}}` placeholders.
 * Chat templates may split into `=== system ===` and `=== user ===` sections (no markers: the
 * whole file is the user message). Completion templates are the text to continue, used
 * exactly as written except for the file's final newline.
 */
export const PLACEHOLDERS = ['problem', 'vuln_aware_problem', 'insecure_code', 'explanation', 'entry_point', 'task_id'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

/**
 * - `fence`: code in a ```python block, prose as it is (SecEvalBase problems are code,
 *   SecEvalPlus problems prose, and a chat prompt should show each as what it is);
 * - `python`: text that can open a Python file: code as it is, prose as a module docstring;
 * - `comment`: every line behind `# `.
 */
export const FILTERS = ['fence', 'python', 'comment'] as const;
export type Filter = (typeof FILTERS)[number];

export type TemplateStyle = 'chat' | 'completion';

type Part = string | { name: Placeholder; filter: Filter | null };

export interface Template {
  /** "direct-generation.chat" for a built-in template, else the file's path. */
  name: string;
  style: TemplateStyle;
  system: Part[] | null;
  /** The user message (chat) or the text to continue (completion). */
  body: Part[];
  /** Placeholders the template uses, so tasks lacking a field are refused before any work. */
  uses: Set<Placeholder>;
}

const SECTION = /^===\s*(system|user)\s*===\s*$/;
const ANY_BRACES = /\{\{([^{}]*)\}\}/g;
const PLACEHOLDER_BODY = /^\s*([a-z_]+)\s*(?:\|\s*([a-z]+)\s*)?$/;

function parseParts(text: string, where: string, firstLine: number, uses: Set<Placeholder>): Part[] {
  const parts: Part[] = [];
  let last = 0;
  for (const m of text.matchAll(ANY_BRACES)) {
    const at = m.index;
    const line = firstLine + text.slice(0, at).split('\n').length - 1;
    const inner = PLACEHOLDER_BODY.exec(m[1]!);
    const name = inner?.[1];
    const filter = inner?.[2];
    if (!inner || !(PLACEHOLDERS as readonly string[]).includes(name!)) {
      throw new UserError(`${where}:${line}: unknown placeholder "${m[0]}" (known: ${PLACEHOLDERS.join(', ')})`);
    }
    if (filter !== undefined && !(FILTERS as readonly string[]).includes(filter)) {
      throw new UserError(`${where}:${line}: unknown filter "${filter}" in "${m[0]}" (known: ${FILTERS.join(', ')})`);
    }
    if (at > last) parts.push(text.slice(last, at));
    parts.push({ name: name as Placeholder, filter: (filter as Filter | undefined) ?? null });
    uses.add(name as Placeholder);
    last = at + m[0].length;
  }
  if (last < text.length) parts.push(text.slice(last));
  return parts;
}

/** Parse a template's text. `where` names it in errors (a file path). */
export function parseTemplate(text: string, style: TemplateStyle, name: string, where: string = name): Template {
  const normal = text.replace(/\r\n/g, '\n');
  const uses = new Set<Placeholder>();
  const lines = normal.split('\n');
  const markers = lines.flatMap((l, i) => {
    const m = SECTION.exec(l);
    return m ? [{ section: m[1] as 'system' | 'user', index: i }] : [];
  });
  if (style === 'completion' || markers.length === 0) {
    if (style === 'completion' && markers.length) {
      throw new UserError(`${where}:${markers[0]!.index + 1}: completion templates have no sections; the whole file is the prompt`);
    }
    const body = normal.endsWith('\n') ? normal.slice(0, -1) : normal;
    const parts = parseParts(style === 'chat' ? body.trim() : body, where, 1, uses);
    if (!parts.length) throw new UserError(`${where}: empty template`);
    return { name, style, system: null, body: parts, uses };
  }
  const before = lines.slice(0, markers[0]!.index).join('\n');
  if (before.trim()) throw new UserError(`${where}:1: text before the first "=== system ===" or "=== user ===" line`);
  const sections: Partial<Record<'system' | 'user', Part[]>> = {};
  markers.forEach((mk, k) => {
    if (sections[mk.section]) throw new UserError(`${where}:${mk.index + 1}: a second "=== ${mk.section} ===" section`);
    const end = markers[k + 1]?.index ?? lines.length;
    const raw = lines.slice(mk.index + 1, end).join('\n');
    const leading = raw.length - raw.trimStart().length;
    const firstLine = mk.index + 2 + raw.slice(0, leading).split('\n').length - 1;
    sections[mk.section] = parseParts(raw.trim(), where, firstLine, uses);
  });
  if (!sections.user?.length) throw new UserError(`${where}: no "=== user ===" section, or it is empty`);
  return { name, style, system: sections.system?.length ? sections.system : null, body: sections.user, uses };
}

const LABELS: Record<Placeholder, string> = {
  problem: 'Problem',
  vuln_aware_problem: 'Vulnerability-aware Problem',
  insecure_code: 'Insecure Code',
  explanation: 'Insecure Code Explanation',
  entry_point: 'Entry_Point',
  task_id: 'ID',
};

function valueOf(task: Task, name: Placeholder): string | null {
  switch (name) {
    case 'problem':
      return task.problem;
    case 'vuln_aware_problem':
      return task.vulnAwareProblem;
    case 'insecure_code':
      return task.insecureCode;
    case 'explanation':
      return task.insecureCodeExplanation;
    case 'entry_point':
      return task.entryPoint;
    case 'task_id':
      return task.id;
  }
}

/** Whether a task's text is Python code (SecEvalBase, HumanEval) rather than prose (SecEvalPlus). */
export function looksLikeCode(text: string, entryPoint: string): boolean {
  if (new RegExp(`^[ \\t]*(?:async[ \\t]+)?def[ \\t]+${entryPoint}\\b`, 'm').test(text)) return true;
  const first = text.split('\n').find((l) => l.trim())?.trim() ?? '';
  return /^(?:import\s|from\s+[\w.]+\s+import\s|def\s|class\s|@\w|#!)/.test(first);
}

function fence(code: string): string {
  // A longer fence than any run of backticks inside keeps the block closed where it should be.
  const longest = Math.max(2, ...[...code.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = '`'.repeat(longest + 1);
  return `${ticks}python\n${code.trimEnd()}\n${ticks}`;
}

function docstring(prose: string): string {
  const escaped = prose.trim().replace(/\\/g, '\\\\').replace(/"""/g, '\\"\\"\\"');
  return `"""\n${escaped}\n"""\n`;
}

function applyFilter(value: string, filter: Filter | null, isCode: boolean): string {
  switch (filter) {
    case null:
      return value;
    case 'fence':
      return isCode ? fence(value) : value.trim();
    case 'python':
      return isCode ? `${value.trimEnd()}\n` : docstring(value);
    case 'comment':
      return value
        .trimEnd()
        .split('\n')
        .map((l) => (l.trim() ? `# ${l}` : '#'))
        .join('\n');
  }
}

/** Names the task fields a template needs that the task lacks (HumanEval has no Insecure Code). */
export function missingFields(template: Template, task: Task): string[] {
  return [...template.uses].filter((n) => valueOf(task, n) === null).map((n) => LABELS[n]);
}

function renderParts(parts: Part[], task: Task, templateName: string): string {
  return parts
    .map((p) => {
      if (typeof p === 'string') return p;
      const value = valueOf(task, p.name);
      if (value === null) throw new UserError(`template ${templateName}: task ${task.id} has no ${LABELS[p.name]}`);
      const isCode = p.name === 'insecure_code' || looksLikeCode(value, task.entryPoint);
      return applyFilter(value, p.filter, isCode);
    })
    .join('');
}

export function renderPrompt(template: Template, task: Task): Prompt {
  const body = renderParts(template.body, task, template.name);
  if (template.style === 'completion') return { style: 'completion', text: body };
  const system = template.system ? renderParts(template.system, task, template.name) : null;
  return { style: 'chat', system, user: body };
}
