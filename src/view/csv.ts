import type { tasks } from './queries.js';

/**
 * The task table as the page shows it (same filters, same order) in CSV, RFC 4180 quoting.
 * Model names and task IDs come from files a model run wrote: a cell that a spreadsheet would
 * read as a formula (=, +, -, @, tab, CR) is prefixed with a quote, so opening the export
 * never runs anything.
 */
export function tasksCsv(answer: ReturnType<typeof tasks>, cweNames: Readonly<Record<string, string>>, statuses: readonly string[]): string {
  const runLabel = (r: (typeof answer.runs)[number]) => `${r.model} | ${r.experiment} | ${r.source}`;
  const header = [
    'task', 'benchmark', 'subset', 'cwe', 'cwe_name', 'broken', 'samples', 'passed', 'pass_rate',
    ...statuses.map((s) => `status_${s}`), 'secure', 'vulnerable', 'wrong',
    ...answer.runs.map((r) => `pass_rate: ${runLabel(r)}`),
  ];
  const rows = answer.rows.map((r) => [
    r.id, r.benchmark, r.subset, r.cwe ?? '', r.cwe ? (cweNames[r.cwe] ?? '') : '', r.broken ? 'yes' : 'no',
    r.n, r.c, rate(r.c, r.n),
    ...statuses.map((s) => (r.statuses as Record<string, number>)[s] ?? 0),
    r.verdicts.secure, r.verdicts.vulnerable, r.verdicts.wrong,
    ...r.perRun.map((nc) => (nc ? rate(nc[1], nc[0]) : '')),
  ]);
  return [header, ...rows].map((cells) => cells.map(cell).join(',')).join('\r\n') + '\r\n';
}

function rate(c: number, n: number): string {
  return n ? (c / n).toFixed(4) : '';
}

export function cell(v: string | number): string {
  let s = String(v);
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}
