import * as echarts from 'echarts';
import type { PairedColumn } from '../score/bootstrap.js';
import type { GroupComparison, RunRounds } from '../score/rounds.js';
import type { GroupScore } from '../score/scores.js';
import type { Report } from './build.js';
import { count, pct, pValue, signedInterval, signedPct } from './display.js';
import { scoreCell, text, type Cell, type Column, type Table } from './table-model.js';

/**
 * The per-round sections of feedback-repair runs: tables for every format, an SVG chart of the
 * repair@round curves, and the CSV rows. Reading the rounds is in rounds-file.ts, their JSON
 * fields in json.ts, scoring in src/score/rounds.ts.
 */

function runLabel(r: RunRounds): string {
  return `${r.model} / ${r.experiment}${r.oracle ? ' (oracle)' : ''}`;
}

function perSample(total: number, samples: number): string {
  return samples ? (total / samples).toFixed(0) : 'n/a';
}

const ORACLE_NOTE =
  'oracle: the model was shown test results (which check failed, exceptions, tracebacks in its own code), which a deployed tool would not have; its curve is an upper bound, not a deployable repair rate.';

/** The repair@round curve of every feedback run: pass@k after each round, with what each round cost. */
export function roundsTable(report: Report): Table | null {
  const runs = report.rounds;
  if (!runs?.length) return null;
  const { ks } = report;
  const label = report.scores.groups.subsets[0]!.label;
  const columns: Column[] = [
    { label: 'Model' },
    { label: 'Experiment' },
    { label: 'Round', numeric: true },
    { label: 'Asked', numeric: true },
    { label: 'Stopped', numeric: true },
    ...ks.map((k): Column => ({ group: label, label: `pass@${k}`, numeric: true })),
    { label: 'Input tokens / sample', numeric: true },
    { label: 'Output tokens / sample', numeric: true },
  ];
  const rows: Cell[][] = [];
  for (const run of runs) {
    for (const r of run.rounds) {
      const g = r.subsets[0]!;
      rows.push([
        text(run.model),
        text(`${run.experiment}${run.oracle ? ' (oracle)' : ''}`),
        text(String(r.round)),
        text(String(r.asked)),
        text(String(r.done)),
        ...ks.map((_, j) => scoreCell(g, j, report.bootstrap.confidence)),
        text(perSample(r.inputTokens, run.samples)),
        text(perSample(r.outputTokens, run.samples)),
      ]);
    }
  }
  const notes: string[] = [];
  if (runs.some((r) => r.oracle)) notes.push(ORACLE_NOTE);
  const disagreeing = runs.filter((r) => r.disagreements > 0);
  if (disagreeing.length) {
    notes.push(
      `Recorded and evaluated verdicts of the same final program differ for ${disagreeing
        .map((r) => `${count(r.disagreements, 'sample')} of ${runLabel(r)}`)
        .join(', ')} (tests that depend on timing or randomness); the final round uses evaluate's verdict.`,
    );
  }
  return {
    id: 'table-rounds',
    title: 'Feedback repair: pass@k (%) after each round',
    description: [
      'Round 0 is the base experiment’s answer; each later round is the model’s correction after feedback.',
      'A sample that stopped (its stop rule held) keeps its program for the later rounds, so the last round equals the headline score.',
      'Verdicts of earlier rounds are the ones recorded while generating (same sandbox, same test); the final round’s is evaluate’s.',
      'Asked: samples that asked the model in that round; Stopped: samples whose stop rule held after it;',
      'tokens: spent in that round, per sample of the run.',
    ].join(' '),
    columns,
    rows,
    notes,
  };
}

function diffCells(col: PairedColumn | null): Cell[] {
  if (!col) return [text('n/a', 'na'), text('n/a', 'na'), text('n/a', 'na'), text('n/a', 'na')];
  const beyondNoise = col.ci[0] > 0 || col.ci[1] < 0;
  return [
    text(signedPct(col.diff), beyondNoise ? 'warn' : undefined),
    text(signedInterval(col.ci)),
    text(pValue(col.pValue)),
    text(`${col.bBetter} / ${col.aBetter} / ${col.ties}`),
  ];
}

/** Round 0 against the final round, paired over tasks, per subset. */
export function roundCompareTable(report: Report): Table | null {
  const runs = report.rounds;
  if (!runs?.length) return null;
  const pc = Math.round(report.bootstrap.confidence * 100);
  const columns: Column[] = [
    { label: 'Model' },
    { label: 'Experiment' },
    { label: 'Group' },
    { label: 'k', numeric: true },
    { label: 'Tasks', numeric: true },
    { label: 'Round 0 (%)', numeric: true },
    { label: 'Final (%)', numeric: true },
    { label: 'Final − round 0', numeric: true },
    { label: `${pc}% CI`, numeric: true },
    { label: 'p', numeric: true },
    { label: 'better / worse / tie', numeric: true },
  ];
  const rows: Cell[][] = [];
  for (const run of runs) {
    for (const c of run.compare.subsets) {
      report.ks.forEach((k, j) => {
        const col = c.perK[j] ?? null;
        rows.push([
          text(run.model),
          text(`${run.experiment}${run.oracle ? ' (oracle)' : ''}`),
          text(c.group),
          text(String(k)),
          text(String(c.tasks)),
          col ? text(pct(col.meanA)) : text('n/a', 'na'),
          col ? text(pct(col.meanB)) : text('n/a', 'na'),
          ...diffCells(col),
        ]);
      });
    }
  }
  return {
    id: 'table-rounds-compare',
    title: 'Feedback repair: final round vs round 0',
    description: `Paired over the tasks of each group, the same samples before and after the feedback rounds. The interval is a paired bootstrap over tasks (${report.bootstrap.resamples} resamples); p is a two-sided sign-flip permutation test (${report.permutations} permutations). A difference whose interval excludes 0 is highlighted.`,
    columns,
    rows,
    notes: [],
  };
}

/** Per CWE, at the report's CWE k: round 0, final round, and the paired difference. */
export function roundCweTables(report: Report): Table[] {
  const runs = report.rounds;
  if (!runs?.length || !report.scores.groups.cwes.length) return [];
  const j = report.ks.indexOf(report.cweK);
  const k = report.cweK;
  return runs.map((run, ri) => {
    const first = run.rounds[0]!;
    const last = run.rounds[run.rounds.length - 1]!;
    const rows = report.scores.groups.cwes.flatMap((g, gi) => {
      if (first.cwes[gi]!.tasks === 0) return [];
      const c: GroupComparison = run.compare.cwes[gi]!;
      return [
        [
          text(g.label),
          text(String(first.cwes[gi]!.tasks)),
          scoreCell(first.cwes[gi]!, j, report.bootstrap.confidence),
          scoreCell(last.cwes[gi]!, j, report.bootstrap.confidence),
          ...diffCells(c.perK[j] ?? null),
        ],
      ];
    });
    return {
      id: `table-rounds-cwe-${ri + 1}`,
      title: `Per-CWE pass@${k} before and after feedback: ${runLabel(run)}`,
      columns: [
        { label: 'CWE' },
        { label: 'Tasks', numeric: true },
        { label: `Round 0 pass@${k} (%)`, numeric: true },
        { label: `Round ${run.maxRound} pass@${k} (%)`, numeric: true },
        { label: 'Final − round 0', numeric: true },
        { label: 'CI', numeric: true },
        { label: 'p', numeric: true },
        { label: 'better / worse / tie', numeric: true },
      ],
      rows,
      notes: [],
    };
  });
}

/** func@k and func-sec@k after each round, when every round's program also had a soft run. */
export function roundSplitTable(report: Report): Table | null {
  const runs = report.rounds?.filter((r) => r.rounds.every((x) => x.split !== null));
  if (!runs?.length) return null;
  const j = report.ks.indexOf(report.cweK);
  const k = report.cweK;
  const label = report.scores.groups.subsets[0]!.label;
  const rows: Cell[][] = [];
  for (const run of runs) {
    for (const r of run.rounds) {
      const g = r.split!.subsets[0]!;
      rows.push([
        text(run.model),
        text(`${run.experiment}${run.oracle ? ' (oracle)' : ''}`),
        text(String(r.round)),
        text(String(g.tasks)),
        scoreCell(g.func, j, report.bootstrap.confidence),
        scoreCell(g.funcSec, j, report.bootstrap.confidence),
      ]);
    }
  }
  return {
    id: 'table-rounds-split',
    title: `Feedback repair: functional vs secure after each round (${label})`,
    description: `func@${k}: at least one of k samples fails no functional check; func-sec@${k}: fails no functional and no security check (see "Telling wrong from insecure"). Over the tasks with both kinds of check; each round's program had its own soft-assert run while generating.`,
    columns: [
      { label: 'Model' },
      { label: 'Experiment' },
      { label: 'Round', numeric: true },
      { label: 'Tasks', numeric: true },
      { label: `func@${k} (%)`, numeric: true },
      { label: `func-sec@${k} (%)`, numeric: true },
    ],
    rows,
    notes: [],
  };
}

/** Why a per-round split is missing, when the rest of the split is there. */
export function roundSplitNote(report: Report): string | null {
  if (!report.rounds?.length || !report.split) return null;
  if (report.rounds.every((r) => r.rounds.every((x) => x.split !== null))) return null;
  return 'The per-round functional vs secure split needs a soft-assert run of every round’s program, made while generating (`run --split`); these samples were generated without it.';
}

// Colour-blind-safe (Okabe–Ito), as the other charts.
const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000'];

/** The repair@round curves at the report's CWE k, one line per feedback run, as static SVG. */
export function roundsChart(report: Report): { id: string; title: string; svg: string } | null {
  const runs = report.rounds;
  if (!runs?.length) return null;
  const j = report.ks.indexOf(report.cweK);
  const maxRound = Math.max(...runs.map((r) => r.maxRound));
  const label = report.scores.groups.subsets[0]!.label;
  const title = `${label}: pass@${report.cweK} after each feedback round`;
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: 900, height: 420 });
  try {
    chart.setOption({
      animation: false,
      color: PALETTE,
      title: { text: title, left: 'center', top: 8, textStyle: { fontSize: 14, fontWeight: 'bold' } },
      legend: { top: 34, data: runs.map(runLabel) },
      grid: { left: 60, right: 40, top: 80, bottom: 50 },
      xAxis: {
        type: 'category',
        data: Array.from({ length: maxRound + 1 }, (_, r) => String(r)),
        name: 'round',
        nameLocation: 'middle',
        nameGap: 28,
      },
      yAxis: { type: 'value', min: 0, max: 100, name: `pass@${report.cweK} (%)`, splitLine: { lineStyle: { color: '#e5e5e5' } } },
      series: runs.map((run, i) => ({
        type: 'line',
        name: runLabel(run),
        // Oracle runs dashed: they are upper bounds, not what a deployed tool reaches.
        lineStyle: { type: run.oracle ? 'dashed' : 'solid', width: 2 },
        symbol: ['circle', 'rect', 'triangle', 'diamond'][i % 4],
        symbolSize: 7,
        label: { show: true, position: 'top', fontSize: 9, color: '#444', formatter: '{c}' },
        data: Array.from({ length: maxRound + 1 }, (_, r) => {
          const v = run.rounds[r]?.subsets[0]!.passAtK[j] ?? null;
          return v === null ? '-' : Math.round(v * 1000) / 10;
        }),
      })),
    });
    return { id: 'chart-rounds', title, svg: chart.renderToSVGString() };
  } finally {
    chart.dispose();
  }
}

/** The Markdown section (tables only). */
export function roundsMarkdown(report: Report, table: (t: Table, level?: number) => string): string {
  const t = roundsTable(report);
  if (!t) return '';
  const parts = [table(t)];
  const cmp = roundCompareTable(report);
  if (cmp) parts.push(table(cmp));
  const split = roundSplitTable(report);
  if (split) parts.push(table(split));
  const note = roundSplitNote(report);
  if (note) parts.push(`_${note}_\n`);
  const cwe = roundCweTables(report);
  for (const c of cwe) parts.push(table(c, 3));
  return parts.join('\n');
}

/** The HTML section: the chart, then the same tables (per-CWE ones folded). */
export function roundsHtml(report: Report, table: (t: Table, level?: number) => string, esc: (s: string) => string): string {
  const t = roundsTable(report);
  if (!t) return '';
  const chart = roundsChart(report);
  const parts = ['<section id="rounds">', table(t)];
  if (chart) {
    parts.push(
      `<figure id="${esc(chart.id)}">${chart.svg}<figcaption>${esc(chart.title)}. One line per feedback run; dashed lines are oracle runs (they saw test results). Missing points are n/a.</figcaption></figure>`,
    );
  }
  const cmp = roundCompareTable(report);
  if (cmp) parts.push(table(cmp));
  const split = roundSplitTable(report);
  if (split) parts.push(table(split));
  const note = roundSplitNote(report);
  if (note) parts.push(`<p class="note">${esc(note)}</p>`);
  for (const c of roundCweTables(report)) parts.push(`<details><summary>Table: ${esc(c.title)}</summary>${table(c, 3)}</details>`);
  parts.push('</section>');
  return parts.join('\n');
}

// ---------------------------------------------------------------------------------------
// CSV (the JSON fields are built in json.ts)
// ---------------------------------------------------------------------------------------

/**
 * CSV rows of the per-round scores, in the main table's shape plus a `round` column (empty on
 * the main rows, which are the final scores): one row per (run, round, group, k).
 */
export function roundsCsvRows(report: Report): { model: string; experiment: string; type: string; round: number; g: GroupScore }[] {
  const out: { model: string; experiment: string; type: string; round: number; g: GroupScore }[] = [];
  for (const run of report.rounds ?? []) {
    for (const r of run.rounds) {
      for (const g of r.subsets) out.push({ model: run.model, experiment: run.experiment, type: 'subset', round: r.round, g });
      for (const g of r.cwes) out.push({ model: run.model, experiment: run.experiment, type: 'cwe', round: r.round, g });
    }
  }
  return out;
}
