import { createHash } from 'node:crypto';
import * as echarts from 'echarts';
import type { Report } from './build.js';
import { type ExperimentFamily, familyOf } from '../core/experiments.js';

export interface Chart {
  id: string;
  title: string;
  /** A complete <svg> element. */
  svg: string;
}

const FIGURE: Record<ExperimentFamily, string> = {
  generation: 'generation (cf. the paper’s Figure 3)',
  repair: 'repair (cf. the paper’s Figure 4)',
  feedback: 'multi-round repair with feedback',
  other: 'other experiments',
};

// Colour-blind-safe (Okabe–Ito) so paired experiments stay distinguishable in print.
const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000'];

/**
 * Per-CWE pass@k bar charts, rendered server-side by ECharts to static SVG, so the HTML report
 * needs no script. With several models, one chart per experiment with one bar per model (the
 * models compared, however many there are); with one model, one chart per experiment family
 * with one bar per experiment.
 */
export function cweCharts(report: Report): Chart[] {
  const models = [...new Set(report.scores.runs.map((r) => r.model))];
  return models.length > 1 ? modelCharts(report) : experimentCharts(report, models);
}

function modelCharts(report: Report): Chart[] {
  const j = report.ks.indexOf(report.cweK);
  const experiments = [...new Set(report.scores.runs.map((r) => r.experiment))];
  return experiments.flatMap((experiment, ei) => {
    const runs = report.scores.runs.filter((r) => r.experiment === experiment);
    const rows = report.scores.groups.cwes.map((g, gi) => ({ label: g.label, gi })).filter(({ gi }) => runs.some((r) => r.cwes[gi]!.tasks > 0));
    if (!rows.length) return [];
    const title = `${experiment}: pass@${report.cweK} per CWE, models compared`;
    return [
      {
        id: `chart-cwe-${ei + 1}`,
        title,
        svg: barChart(
          title,
          rows.map((r) => `${shortCwe(r.label)} (${Math.max(...runs.map((run) => run.cwes[r.gi]!.tasks))})`),
          runs.map((r) => ({
            name: r.model,
            values: rows.map(({ gi }) => {
              const v = r.cwes[gi]!.passAtK[j] ?? null;
              return v === null ? null : Math.round(v * 1000) / 10;
            }),
          })),
          `pass@${report.cweK} (%)`,
        ),
      },
    ];
  });
}

function experimentCharts(report: Report, models: string[]): Chart[] {
  const j = report.ks.indexOf(report.cweK);
  const charts: Chart[] = [];
  models.forEach((model, mi) => {
    for (const family of ['generation', 'repair', 'other'] as const) {
      const runs = report.scores.runs.filter((r) => r.model === model && familyOf(r.experiment) === family);
      if (!runs.length) continue;
      // Only CWEs some run has counted results for: a row of empty bars says nothing.
      const rows = report.scores.groups.cwes
        .map((g, gi) => ({ label: g.label, gi }))
        .filter(({ gi }) => runs.some((r) => r.cwes[gi]!.tasks > 0));
      if (!rows.length) continue;
      const title = `${model}: pass@${report.cweK} per CWE, ${FIGURE[family]}`;
      charts.push({
        id: `chart-${mi + 1}-${family}`,
        title,
        svg: barChart(
          title,
          rows.map((r) => `${shortCwe(r.label)} (${Math.max(...runs.map((run) => run.cwes[r.gi]!.tasks))})`),
          runs.map((r) => ({
            name: r.experiment,
            values: rows.map(({ gi }) => {
              const v = r.cwes[gi]!.passAtK[j] ?? null;
              return v === null ? null : Math.round(v * 1000) / 10;
            }),
          })),
          `pass@${report.cweK} (%)`,
        ),
      });
    }
  });
  return charts;
}

/**
 * Per-CWE functional vs secure, one chart per run with judged samples: func@k and
 * func-sec@k side by side, so the gap between the bars is the working-but-vulnerable part.
 */
export function splitCharts(report: Report): Chart[] {
  if (!report.split) return [];
  const j = report.ks.indexOf(report.cweK);
  const k = report.cweK;
  const asPct = (v: number | null) => (v === null ? null : Math.round(v * 1000) / 10);
  const splitRuns = report.split.runs;
  if (new Set(splitRuns.map((r) => r.model)).size > 1) {
    // Several models: one chart per experiment, func-sec@k of each model side by side.
    const experiments = [...new Set(splitRuns.map((r) => r.experiment))];
    return experiments.flatMap((experiment, ei) => {
      const runs = splitRuns.filter((r) => r.experiment === experiment);
      const rows = report.scores.groups.cwes.map((g, gi) => ({ label: g.label, gi })).filter(({ gi }) => runs.some((r) => r.cwes[gi]!.tasks > 0));
      if (!rows.length) return [];
      const title = `${experiment}: func-sec@${k} per CWE, models compared`;
      return [
        {
          id: `chart-split-${ei + 1}`,
          title,
          svg: barChart(
            title,
            rows.map((r) => `${shortCwe(r.label)} (${Math.max(...runs.map((run) => run.cwes[r.gi]!.tasks))})`),
            runs.map((run) => ({ name: run.model, values: rows.map(({ gi }) => asPct(run.cwes[gi]!.funcSec.passAtK[j] ?? null)) })),
            `func-sec@${k} (%)`,
          ),
        },
      ];
    });
  }
  return splitRuns.flatMap((run, ri) => {
    const rows = report.scores.groups.cwes.map((g, gi) => ({ label: g.label, gi })).filter(({ gi }) => run.cwes[gi]!.tasks > 0);
    if (!rows.length) return [];
    const title = `${run.model} / ${run.experiment}: functional vs secure per CWE`;
    return [
      {
        id: `chart-split-${ri + 1}`,
        title,
        svg: barChart(
          title,
          rows.map((r) => `${shortCwe(r.label)} (${run.cwes[r.gi]!.tasks})`),
          [
            { name: `func@${k}`, values: rows.map(({ gi }) => asPct(run.cwes[gi]!.func.passAtK[j] ?? null)) },
            { name: `func-sec@${k}`, values: rows.map(({ gi }) => asPct(run.cwes[gi]!.funcSec.passAtK[j] ?? null)) },
          ],
          `func@${k} and func-sec@${k} (%)`,
        ),
      },
    ];
  });
}

/** "CWE-862/CWE-287/..." → "CWE-862/287/...": the merged type's label fits the axis. */
function shortCwe(label: string): string {
  return label.replaceAll('/CWE-', '/');
}

function barChart(title: string, categories: string[], series: { name: string; values: (number | null)[] }[], axisName: string): string {
  const barHeight = 9;
  const rowHeight = series.length * barHeight + 10;
  const width = 900;
  const height = 110 + categories.length * rowHeight;
  // Room for the longest axis label (about 6.5 px per character at 11 px).
  const left = 20 + Math.ceil(Math.max(...categories.map((c) => c.length)) * 6.5);
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption({
      animation: false,
      color: PALETTE,
      title: { text: title, left: 'center', top: 8, textStyle: { fontSize: 14, fontWeight: 'bold' } },
      legend: { top: 34, data: series.map((s) => s.name) },
      grid: { left, right: 48, top: 70, bottom: 44 },
      xAxis: {
        type: 'value',
        min: 0,
        max: 100,
        name: axisName,
        nameLocation: 'middle',
        nameGap: 26,
        splitLine: { lineStyle: { color: '#e5e5e5' } },
      },
      yAxis: {
        type: 'category',
        data: categories,
        // First CWE at the top, as a reader scans a list.
        inverse: true,
        axisLabel: { fontSize: 11 },
      },
      series: series.map((s) => ({
        type: 'bar',
        name: s.name,
        barMaxWidth: barHeight,
        // Printed values tell a 0 apart from a missing (n/a) bar.
        label: { show: true, position: 'right', fontSize: 8, color: '#444', formatter: '{c}' },
        // ECharts draws nothing for '-', which is how a not-available value should look.
        data: s.values.map((v) => (v === null ? '-' : v)),
      })),
    });
    return stableClassNames(chart.renderToSVGString());
  } finally {
    chart.dispose();
  }
}

/**
 * ECharts names each chart's CSS classes `zr<instance>-cls-<n>` from counters global to the
 * process, so the same report rendered twice in one process differed. Classes are renamed
 * after the chart's own content instead: the same chart always gets the same names, and two
 * different charts on one page (whose <style> rules apply page-wide) still never share one.
 * Only class attributes and the chart's <style> are touched, never text.
 */
function stableClassNames(svg: string): string {
  const local = new Map<string, number>();
  const rename = (text: string, to: (n: number) => string) =>
    text.replace(/zr\d+-cls-\d+/g, (m) => {
      if (!local.has(m)) local.set(m, local.size);
      return to(local.get(m)!);
    });
  const rewrite = (to: (n: number) => string) =>
    svg
      .replace(/ class="([^"]*)"/g, (_, c: string) => ` class="${rename(c, to)}"`)
      .replace(/<style[^>]*>[\s\S]*?<\/style>/g, (block) => rename(block, to));
  const hash = createHash('sha256').update(rewrite((n) => `cls-${n}`)).digest('hex').slice(0, 10);
  return rewrite((n) => `c${hash}-${n}`);
}
