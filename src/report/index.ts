import { closeSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../util/errors.js';
import { buildReport, type BuildReportOptions, type Report } from './build.js';
import { renderCsv } from './csv.js';
import { htmlChunks, renderHtml } from './html.js';
import { renderJson } from './json.js';
import { renderMarkdown } from './markdown.js';

import type { ReportFormat } from './formats.js';

export function renderReport(report: Report, format: ReportFormat): string {
  switch (format) {
    case 'md':
      return renderMarkdown(report);
    case 'csv':
      return renderCsv(report);
    case 'json':
      return renderJson(report);
    case 'html':
      return renderHtml(report);
  }
}

/** The report in pieces: the HTML drill-down comes task by task, other formats in one piece. */
export function reportChunks(report: Report, format: ReportFormat): Iterable<string> {
  return format === 'html' ? htmlChunks(report) : [renderReport(report, format)];
}

/**
 * Only the HTML report shows samples, so only it pays for keeping their code in memory.
 * `drilldown` caps the samples shown per task and run (default: all).
 */
export async function createReport(
  opts: Omit<BuildReportOptions, 'drilldown'> & { format: ReportFormat; drilldown?: number },
): Promise<{ report: Report; text: string }> {
  const report = await buildReport({ ...opts, drilldown: opts.format === 'html' ? (opts.drilldown ?? Infinity) : 0 });
  return { report, text: renderReport(report, opts.format) };
}

/**
 * Write through a temporary file, so a failed write never leaves half a report behind (an
 * earlier report at that path stays as it was). Pieces are written as they come.
 */
export function writeFileAtomic(file: string, content: string | Iterable<string>): void {
  const dir = path.dirname(path.resolve(file));
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.tmp`);
  let fd: number | undefined;
  try {
    mkdirSync(dir, { recursive: true });
    fd = openSync(tmp, 'w');
    for (const chunk of typeof content === 'string' ? [content] : content) writeSync(fd, chunk);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, file);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
    // File-system failures are the user's to fix (path, permissions, space); anything else
    // came from rendering and keeps its own message.
    if ((e as NodeJS.ErrnoException).code) throw new UserError(`${file}: cannot write report: ${(e as Error).message}`);
    throw e;
  }
}

export { buildReport, type BuildReportOptions, type Report } from './build.js';
export { formatFromPath, REPORT_FORMATS, type ReportFormat } from './formats.js';
export { toJson, type JsonReport } from './json.js';
