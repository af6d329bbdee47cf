import path from 'node:path';
import type { Report } from './build.js';

/** A renderer: the report as text, in pieces (the HTML drill-down comes task by task). */
export type RenderReport = (report: Report) => Iterable<string>;

interface FormatEntry {
  readonly name: string;
  /** File extensions that imply the format (lower case, no dot). */
  readonly extensions: readonly string[];
  readonly description: string;
  /** The format shows every sample's code, so scoring must keep it in memory. */
  readonly showsSamples: boolean;
  /** Renderers load on use: HTML pulls in ECharts, which naming a format must not pay for. */
  load(): Promise<RenderReport>;
}

/**
 * The report formats. Adding one is a renderer file in this folder and an entry here; the
 * CLI, `run` and the benchmark script find it through this list.
 */
export const REPORT_FORMAT_ENTRIES = [
  {
    name: 'md',
    extensions: ['md', 'markdown'],
    description: 'Markdown: the paper’s tables, intervals, comparisons, per-CWE tables',
    showsSamples: false,
    load: async () => {
      const { renderMarkdown } = await import('./markdown.js');
      return (r: Report) => [renderMarkdown(r)];
    },
  },
  {
    name: 'csv',
    extensions: ['csv'],
    description: 'CSV: one tidy row per run, group and k',
    showsSamples: false,
    load: async () => {
      const { renderCsv } = await import('./csv.js');
      return (r: Report) => [renderCsv(r)];
    },
  },
  {
    name: 'json',
    extensions: ['json'],
    description: 'JSON: every number as fractions, for scripts',
    showsSamples: false,
    load: async () => {
      const { renderJson } = await import('./json.js');
      return (r: Report) => [renderJson(r)];
    },
  },
  {
    name: 'html',
    extensions: ['html', 'htm'],
    description: 'HTML: one self-contained page with charts and a per-sample drill-down',
    showsSamples: true,
    load: async () => (await import('./html.js')).htmlChunks,
  },
] as const satisfies readonly FormatEntry[];

export type ReportFormat = (typeof REPORT_FORMAT_ENTRIES)[number]['name'];
export const REPORT_FORMATS: readonly ReportFormat[] = REPORT_FORMAT_ENTRIES.map((f) => f.name);

export function formatEntry(name: ReportFormat): FormatEntry {
  return REPORT_FORMAT_ENTRIES.find((f) => f.name === name)!;
}

/** The format an output file name implies, if any. */
export function formatFromPath(file: string): ReportFormat | null {
  const ext = path.extname(file).toLowerCase().slice(1);
  return REPORT_FORMAT_ENTRIES.find((f) => (f.extensions as readonly string[]).includes(ext))?.name ?? null;
}
