import { terminalSafe } from '../text/terminal.js';
import type { Report } from './build.js';
import { roundsMarkdown } from './rounds.js';
import { splitCweTables, splitTable } from './split-tables.js';
import { staticAnalysisSection } from './static-analysis.js';
import { partialLines } from './completeness.js';
import { batchPricesTable } from './delivery.js';
import { environmentTables, environmentWarningLines } from './environment.js';
import {
  brokenTable,
  comparisonTable,
  benchmarkTable,
  caseTable,
  cweTables,
  headlineTables,
  intervalTable,
  runsTable,
  settingsLines,
  stepsTable,
  type Table,
} from './tables.js';

/**
 * Pipes would split a cell and newlines would end the row. A `<` that could open an HTML tag,
 * comment or autolink, and an `&` that could spell an entity, are backslash-escaped because
 * Markdown viewers render raw HTML and cells can hold text a model chose (the name of a module
 * its code imported, a results file's model field). Nothing else is touched, so `<0.001` reads
 * the same in the raw file and in a viewer.
 */
export function markdownCell(s: string): string {
  return terminalSafe(s)
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/\r?\n/g, ' ')
    .replace(/<(?=[A-Za-z/!?])/g, '\\<')
    .replace(/&(?=#?[A-Za-z0-9]+;)/g, '\\&');
}
const cell = markdownCell;

export function markdownTable(t: Table, level = 2): string {
  const head = t.columns.map((c) => cell(c.group ? `${c.group} ${c.label}` : c.label));
  const align = t.columns.map((c) => (c.numeric ? '---:' : '---'));
  // A title can name a model: escaped like a cell, so a line break cannot end the heading.
  const lines = [`${'#'.repeat(level)} ${cell(t.title)}`, ''];
  if (t.description) lines.push(t.description, '');
  if (t.rows.length) {
    lines.push(`| ${head.join(' | ')} |`, `| ${align.join(' | ')} |`);
    for (const r of t.rows) lines.push(`| ${r.map((c) => cell(c.text)).join(' | ')} |`);
    lines.push('');
  }
  for (const n of t.notes) lines.push(`_${n}_`, '');
  return lines.join('\n');
}

/**
 * The Markdown report: every table of the HTML report, without charts or the per-sample
 * drill-down (code and test output belong in the HTML report).
 */
export function renderMarkdown(report: Report): string {
  const parts: string[] = ['# CodeSecEval report', '', ...settingsLines(report).map((l) => `- ${l}`), ''];
  for (const w of [...partialLines(report.missing), ...environmentWarningLines(report)]) parts.push(`> **${markdownCell(w)}**`, '');
  const pooled = benchmarkTable(report);
  if (pooled) parts.push(markdownTable(pooled));
  const steps = stepsTable(report);
  const headline = headlineTables(report);
  // Paper order: generation (Table 2), its steps split (Table 3), then repair (Table 4).
  for (const t of headline) {
    parts.push(markdownTable(t));
    if (t.id === 'table-generation' && steps) parts.push(markdownTable(steps));
  }
  if (steps && !headline.some((t) => t.id === 'table-generation')) parts.push(markdownTable(steps));
  const rounds = roundsMarkdown(report, markdownTable);
  if (rounds) parts.push(rounds);
  const batch = batchPricesTable(report.delivery);
  if (batch) parts.push(markdownTable(batch));
  parts.push(markdownTable(intervalTable(report)));
  const cmp = comparisonTable(report);
  if (cmp) parts.push(markdownTable(cmp));
  const cwe = cweTables(report);
  if (cwe.length) {
    parts.push('## Per-CWE results (the paper’s Figures 3 and 4)', '');
    for (const t of cwe) parts.push(markdownTable(t, 3));
  }
  const cases = caseTable(report);
  if (cases) parts.push(markdownTable(cases));
  const split = splitTable(report);
  if (split) {
    parts.push(markdownTable(split));
    for (const t of splitCweTables(report)) parts.push(markdownTable(t, 3));
  }
  if (report.staticAnalysis) {
    parts.push(staticAnalysisSection(report.staticAnalysis, markdownTable, (h) => `## ${h}\n`, (p) => `${p}\n`));
  }
  parts.push(markdownTable(runsTable(report)));
  for (const t of environmentTables(report)) parts.push(markdownTable(t));
  const broken = brokenTable(report);
  if (broken) parts.push(markdownTable(broken));
  return parts.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd() + '\n';
}

