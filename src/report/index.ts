import { buildReport, type BuildReportOptions, type Report } from './build.js';
import { formatEntry, type ReportFormat } from './formats.js';

/** The report in pieces, as the format's renderer makes them. */
export async function reportChunks(report: Report, format: ReportFormat): Promise<Iterable<string>> {
  const render = await formatEntry(format).load();
  return render(report);
}

/** The whole report as one string. */
export async function renderReport(report: Report, format: ReportFormat): Promise<string> {
  return [...(await reportChunks(report, format))].join('');
}

/** Only formats that show samples pay for keeping their code in memory; `drilldown` caps them per task and run. */
export async function createReport(
  opts: Omit<BuildReportOptions, 'drilldown'> & { format: ReportFormat; drilldown?: number },
): Promise<{ report: Report; text: string }> {
  const report = await buildReport({ ...opts, drilldown: formatEntry(opts.format).showsSamples ? (opts.drilldown ?? Infinity) : 0 });
  return { report, text: await renderReport(report, opts.format) };
}

export { buildReport, type BuildReportOptions, type Report } from './build.js';
export { formatEntry, formatFromPath, REPORT_FORMATS, type ReportFormat } from './formats.js';
export { toJson, type JsonReport } from './json.js';
