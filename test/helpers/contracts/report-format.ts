import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReport, type Report } from '../../../src/report/build.js';
import { formatFromPath, REPORT_FORMAT_ENTRIES } from '../../../src/report/formats.js';
import type { Dataset } from '../../../src/core/task.js';
import { rmSync } from 'node:fs';
import { fixtureDataset, resultLines, T, tempDir, writeJsonl } from '../report.js';

type FormatEntry = (typeof REPORT_FORMAT_ENTRIES)[number];

export const PLAIN_MODELS = ['alpha-model', 'beta.model_2'] as const;
const XSS_SCRIPT = '</script><script>alert(1)</script>';
const XSS_IMG = '<img src=x onerror=alert(1)>';
/** Every character a CSV, Markdown or HTML writer must take care of, in one name. */
export const HOSTILE_MODELS = [XSS_SCRIPT, `m,"q" | ${XSS_IMG}\nnext line`] as const;

const COUNTS: Record<string, [number, number]> = {
  [T.age]: [4, 1],
  [T.port]: [4, 0],
  [T.profile]: [4, 4],
  [T.quantity]: [4, 2],
  [T.del]: [4, 1],
  [T.read]: [4, 3],
};

/**
 * A tiny RFC 4180 reader, written here so the check does not share code (or mistakes) with
 * the writer: quoted fields may hold commas, doubled quotes and line breaks.
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

/** Cells of a Markdown table row: split at pipes that no backslash escapes. */
function markdownCells(line: string): number {
  return line.replace(/\\\\/g, '').split(/(?<!\\)\|/).length;
}

async function render(entry: FormatEntry, report: Report): Promise<string> {
  const r = await entry.load();
  return [...r(report)].join('');
}

/** Reports in every format from hand-written results: one suite, run once per registered format. */
export function reportFormatContract(name: string, make: () => FormatEntry): void {
  describe(`report format contract: ${name}`, () => {
    const entry = make();
    let dir: string;
    let dataset: Dataset;
    const build = (file: string) => buildReport({ resultsFiles: [file], dataset, ks: [1, 3], drilldown: entry.showsSamples ? Infinity : 0, bootstrap: { resamples: 200 } });
    let plainFile: string;
    let hostileFile: string;

    beforeAll(() => {
      dir = tempDir('codeseceval-format-contract-');
      dataset = fixtureDataset();
      plainFile = writeJsonl(
        path.join(dir, 'plain.jsonl'),
        PLAIN_MODELS.flatMap((model) => resultLines({ model, experiment: 'direct-generation', counts: COUNTS })),
      );
      hostileFile = writeJsonl(
        path.join(dir, 'hostile.jsonl'),
        HOSTILE_MODELS.flatMap((model) =>
          resultLines({ model, experiment: 'direct-generation', counts: COUNTS }).map((l) =>
            l.passed
              ? { ...l, solution: `def f():\n    return "${XSS_SCRIPT}"  # ${XSS_IMG}\n` }
              : { ...l, detail: `AssertionError: ${XSS_SCRIPT} ${XSS_IMG}`, stdout_tail: XSS_IMG, stderr_tail: XSS_SCRIPT, solution: `# ${XSS_IMG}\n${XSS_SCRIPT}\n` },
          ),
        ),
      );
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('is described, and its file extensions lead back to it', () => {
      expect(entry.name).toBe(name);
      expect(entry.description).toMatch(/^[^\n]+$/);
      expect(entry.extensions.length).toBeGreaterThan(0);
      for (const ext of entry.extensions) {
        expect(ext).toMatch(/^[a-z0-9]+$/);
        expect(formatFromPath(`runs/x/report.${ext}`)).toBe(name);
        expect(formatFromPath(`REPORT.${ext.toUpperCase()}`)).toBe(name);
      }
    });

    it('renders a report naming every run’s model', async () => {
      const text = await render(entry, await build(plainFile));
      expect(text.trim().length).toBeGreaterThan(0);
      for (const m of PLAIN_MODELS) expect(text).toContain(m);
    });

    it('is deterministic: the same input gives the same bytes', async () => {
      const a = await render(entry, await build(hostileFile));
      const b = await render(entry, await build(hostileFile));
      expect(a === b).toBe(true);
    });

    it('keeps hostile model names, details and programs as text', async () => {
      const text = await render(entry, await build(hostileFile));
      expect(text.length).toBeGreaterThan(0);
      const exts: readonly string[] = entry.extensions;
      if (exts.includes('html')) {
        expect(text).not.toMatch(/<script/i);
        expect(text).not.toMatch(/<img[^>]*onerror/i);
        expect(text).not.toContain(XSS_SCRIPT);
        expect(text).not.toContain(XSS_IMG);
        // Shown, escaped, rather than dropped.
        expect(text).toContain('alert(1)');
      }
      if (exts.includes('csv')) {
        const rows = parseCsv(text);
        const width = rows[0]!.length;
        for (const [i, r] of rows.entries()) expect(r.length, `row ${i + 1}`).toBe(width);
        const model = rows[0]!.indexOf('model');
        expect(model).toBeGreaterThanOrEqual(0);
        expect([...new Set(rows.slice(1).map((r) => r[model]))].sort()).toEqual([...HOSTILE_MODELS].sort());
      }
      if (exts.includes('json')) {
        const j = JSON.parse(text) as { runs: { model: string }[] };
        expect(j.runs.map((r) => r.model).sort()).toEqual([...HOSTILE_MODELS].sort());
      }
      if (exts.includes('md')) {
        // A name's pipes and line breaks must not add or end table cells.
        const lines = text.split('\n');
        for (let i = 0; i < lines.length; i++) {
          if (!lines[i]!.startsWith('|') || lines[i - 1]?.startsWith('|')) continue;
          const width = markdownCells(lines[i]!);
          for (let j = i; j < lines.length && lines[j]!.startsWith('|'); j++) expect(markdownCells(lines[j]!), lines[j]).toBe(width);
        }
      }
    });
  });
}
