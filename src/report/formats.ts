import path from 'node:path';

/** Kept apart from the renderers so the CLI can name formats without loading them. */
export const REPORT_FORMATS = ['md', 'csv', 'json', 'html'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** The format an output file name implies, if any. */
export function formatFromPath(file: string): ReportFormat | null {
  const ext = path.extname(file).toLowerCase().slice(1);
  if (ext === 'markdown') return 'md';
  if (ext === 'htm') return 'html';
  return (REPORT_FORMATS as readonly string[]).includes(ext) ? (ext as ReportFormat) : null;
}
