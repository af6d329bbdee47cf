/**
 * Readers of each report format, written here so the checks share no code (or mistakes) with
 * the writers. Each reads a report back the way a user's tool would and answers which model
 * names it shows; it throws on anything that tool would run or misread (markup, broken rows).
 */

export interface ParsedReport {
  /** Every distinct model name the report shows, as a reader of the format sees it. */
  models: string[];
}

/**
 * A tiny RFC 4180 reader: quoted fields may hold commas, doubled quotes and line breaks.
 */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (c === '"') {
        quoted = false;
        i++;
        if (i < text.length && !/[,\r\n]/.test(text[i]!)) throw new Error(`character after a closing quote at ${i}`);
        continue;
      }
      field += c;
      i++;
      continue;
    }
    if (c === '"') {
      if (field !== '') throw new Error(`quote inside an unquoted field at ${i}`);
      quoted = true;
    } else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
    i++;
  }
  if (quoted) throw new Error('unterminated quoted field');
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

const distinct = (xs: string[]) => [...new Set(xs)];

/** CSV: every row as wide as the header, the names from the `model` column. */
export function readCsvReport(text: string): ParsedReport {
  const rows = parseCsv(text);
  const width = rows[0]!.length;
  rows.forEach((r, i) => {
    if (r.length !== width) throw new Error(`CSV row ${i + 1} has ${r.length} fields, the header ${width}`);
  });
  const col = rows[0]!.indexOf('model');
  if (col < 0) throw new Error('CSV has no model column');
  return { models: distinct(rows.slice(1).map((r) => r[col]!)) };
}

/** JSON: the `runs` array's model fields. */
export function readJsonReport(text: string): ParsedReport {
  const j = JSON.parse(text) as { runs: { model: string }[] };
  return { models: distinct(j.runs.map((r) => r.model)) };
}

/** Cells of a Markdown table row: split at pipes no backslash escapes, then unescaped. */
function markdownCells(line: string): string[] {
  const cells: string[] = [];
  let cur = '';
  for (let i = 1; i < line.length; i++) {
    const c = line[i]!;
    if (c === '\\' && i + 1 < line.length) {
      cur += line[++i];
    } else if (c === '|') {
      cells.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  return cells;
}

const unescapeMarkdown = (s: string) => s.replace(/\\(.)/g, '$1');

/**
 * Markdown: no raw HTML a viewer would render (a `<` that opens a tag, comment or autolink
 * must be backslash-escaped), every table row as wide as its header; the names from the Runs
 * table's first column and from the per-CWE headings.
 */
export function readMarkdownReport(text: string): ParsedReport {
  const raw = /(?<!\\)<[A-Za-z/!?]/.exec(text);
  if (raw) throw new Error(`raw HTML in Markdown at ${raw.index}: ${text.slice(raw.index, raw.index + 40)}`);
  const lines = text.split('\n');
  const models: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const heading = /^#{2,6} Per-CWE pass@\d+: (.*)$/.exec(lines[i]!);
    if (heading) models.push(unescapeMarkdown(heading[1]!));
    if (!lines[i]!.startsWith('|') || lines[i - 1]?.startsWith('|')) continue;
    const width = markdownCells(lines[i]!).length;
    let j = i;
    for (; j < lines.length && lines[j]!.startsWith('|'); j++) {
      const n = markdownCells(lines[j]!).length;
      if (n !== width) throw new Error(`Markdown table row has ${n} cells, its header ${width}: ${lines[j]}`);
    }
    if (lines.slice(0, i).reverse().find((l) => l.startsWith('#')) === '## Runs') {
      models.push(...lines.slice(i + 2, j).map((l) => markdownCells(l)[0]!));
    }
  }
  return { models: distinct(models) };
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", '#x27': "'" };

function htmlText(s: string): string {
  return s.replace(/<[^>]*>/g, '').replace(/&(#?\w+);/g, (m, e: string) => ENTITIES[e] ?? m);
}

/**
 * HTML: no script element, event-handler attribute or javascript: URL anywhere; the names
 * from the Runs table's first column and from the per-CWE headings, as a browser shows them.
 */
export function readHtmlReport(text: string): ParsedReport {
  for (const bad of [/<script/i, /<[a-z][^>]*\son[a-z]+\s*=/i, /javascript:/i, /<iframe/i]) {
    const m = bad.exec(text);
    if (m) throw new Error(`active HTML at ${m.index}: ${text.slice(m.index, m.index + 40)}`);
  }
  const models: string[] = [];
  for (const m of text.matchAll(/<h[2-6][^>]*>Per-CWE pass@\d+: ([^<]*)<\/h[2-6]>/g)) models.push(htmlText(m[1]!));
  const runs = text.indexOf('<h2>Runs</h2>');
  if (runs < 0) throw new Error('HTML report has no Runs section');
  const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(text.slice(runs));
  if (!body) throw new Error('HTML Runs section has no table body');
  for (const row of body[1]!.matchAll(/<tr>\s*<td[^>]*>([\s\S]*?)<\/td>/g)) models.push(htmlText(row[1]!));
  return { models: distinct(models) };
}
