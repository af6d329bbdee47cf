import type { SampleJudgement } from '../score/judge.js';
import type { Report } from './build.js';
import { cweCharts, splitCharts } from './charts.js';
import { escapeHtml as esc, pct } from './display.js';
import { batchPricesTable } from './delivery.js';
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
import { roundsHtml } from './rounds.js';
import { splitCweTables, splitTable } from './split-tables.js';
import { STATIC_ANALYSIS_ID, staticAnalysisSection } from './static-analysis.js';
import { partialLines } from './completeness.js';
import { environmentTables, environmentWarningLines } from './environment.js';
import { STATUSES } from '../core/status.js';

// Everything the page needs is in this file: the policy forbids every fetch, so a report
// opened offline (or from an untrusted results file) can never reach the network.
const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

const CSS = `
:root { --fg:#1d1d1f; --muted:#5f6368; --line:#d9dce1; --bg:#fff; --alt:#f6f7f9; --accent:#0b57d0;
  --ok:#137333; --bad:#b3261e; --warn:#8a5300; --warnbg:#fff4e0; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif; color:var(--fg); background:var(--bg); }
header { padding:20px 32px 8px; border-bottom:1px solid var(--line); }
h1 { margin:0 0 8px; font-size:22px; }
h2 { margin:28px 0 6px; font-size:18px; }
h3 { margin:18px 0 6px; font-size:15px; }
main { padding:0 32px 40px; max-width:1600px; }
ul.settings { margin:0; padding-left:18px; color:var(--muted); }
nav { padding:8px 32px; border-bottom:1px solid var(--line); background:var(--alt); font-size:13px; }
nav a { margin-right:14px; color:var(--accent); text-decoration:none; }
p.desc { margin:0 0 8px; color:var(--muted); max-width:1000px; }
p.note { margin:4px 0; color:var(--muted); font-size:12px; font-style:italic; }
.table-wrap { overflow-x:auto; }
table { border-collapse:collapse; font-size:13px; margin:4px 0; }
th, td { border:1px solid var(--line); padding:3px 8px; text-align:left; white-space:nowrap; }
th { background:var(--alt); font-weight:600; }
thead th.group { text-align:center; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; }
tbody tr:nth-child(even) td { background:#fbfbfc; }
td.na { color:#9aa0a6; }
td.warn { color:var(--warn); background:var(--warnbg) !important; font-weight:600; }
td.wrap { white-space:normal; max-width:520px; }
figure { margin:16px 0; }
figure svg { max-width:100%; height:auto; border:1px solid var(--line); border-radius:4px; }
figcaption { color:var(--muted); font-size:12px; }
details { margin:2px 0; }
details.task { border:1px solid var(--line); border-radius:4px; padding:4px 8px; margin:4px 0; }
details.task[open] { background:#fcfcfd; }
details.run { margin:6px 0 6px 12px; }
details.sample { margin:4px 0 4px 16px; border-left:3px solid var(--line); padding-left:8px; }
summary { cursor:pointer; }
summary code { font-weight:600; }
.badge { display:inline-block; padding:0 6px; border-radius:8px; font-size:11px; font-weight:600; line-height:17px; vertical-align:1px; }
.b-broken { background:var(--warnbg); color:var(--warn); border:1px solid #f0c36d; }
.s-passed { background:#e6f4ea; color:var(--ok); }
.s-failed { background:#fce8e6; color:var(--bad); }
.s-error { background:#fdeee0; color:#a04c00; }
.s-timeout, .s-memory, .s-killed { background:#efe7fa; color:#6132a8; }
.s-sandbox-error { background:#e8eaed; color:#3c4043; }
.v-secure { background:#e6f4ea; color:var(--ok); border:1px solid #a8dab5; }
.v-vulnerable { background:#fce8e6; color:var(--bad); border:1px solid #f4b4ae; }
.v-wrong { background:#e8eaed; color:#3c4043; border:1px solid #c4c7cc; }
.meta { color:var(--muted); font-size:12px; }
pre { margin:4px 0; padding:6px 8px; background:#f4f5f7; border:1px solid var(--line); border-radius:4px; overflow-x:auto; font-size:12px; line-height:1.35; max-height:420px; }
pre.err { background:#fdf3f2; }
`;

function tableHtml(t: Table, level = 2): string {
  const grouped = t.columns.some((c) => c.group);
  const out: string[] = [`<section id="${esc(t.id)}">`, `<h${level}>${esc(t.title)}</h${level}>`];
  if (t.description) out.push(`<p class="desc">${esc(t.description)}</p>`);
  if (t.rows.length) {
    out.push('<div class="table-wrap"><table><thead>');
    if (grouped) {
      // Two header rows: group names spanning their columns, then the per-column labels.
      const top: string[] = [];
      for (let i = 0; i < t.columns.length; ) {
        const c = t.columns[i]!;
        if (!c.group) {
          top.push(`<th rowspan="2"${c.numeric ? ' class="num"' : ''}>${esc(c.label)}</th>`);
          i++;
          continue;
        }
        let span = 1;
        while (t.columns[i + span]?.group === c.group) span++;
        top.push(`<th class="group" colspan="${span}">${esc(c.group)}</th>`);
        i += span;
      }
      out.push(`<tr>${top.join('')}</tr>`);
      out.push(`<tr>${t.columns.filter((c) => c.group).map((c) => `<th class="num">${esc(c.label)}</th>`).join('')}</tr>`);
    } else {
      out.push(`<tr>${t.columns.map((c) => `<th${c.numeric ? ' class="num"' : ''}>${esc(c.label)}</th>`).join('')}</tr>`);
    }
    out.push('</thead><tbody>');
    for (const row of t.rows) {
      const cells = row.map((cell, i) => {
        const cls = [t.columns[i]?.numeric ? 'num' : '', cell.tone ?? '', cell.text.length > 60 ? 'wrap' : ''].filter(Boolean);
        const attrs = `${cls.length ? ` class="${cls.join(' ')}"` : ''}${cell.note ? ` title="${esc(cell.note)}"` : ''}`;
        return `<td${attrs}>${esc(cell.text)}</td>`;
      });
      out.push(`<tr>${cells.join('')}</tr>`);
    }
    out.push('</tbody></table></div>');
  }
  for (const n of t.notes) out.push(`<p class="note">${esc(n)}</p>`);
  out.push('</section>');
  return out.join('\n');
}

function statusBadge(status: string): string {
  return `<span class="badge s-${esc(status)}">${esc(status)}</span>`;
}

/** The soft-assert verdict of a sample, with the failed checks' Test lines in the tooltip. */
function verdictBadge(j: SampleJudgement | null | undefined): string {
  if (!j) return '';
  const why = !j.ran
    ? 'the soft-assert run never reached the end of check'
    : [
        j.failedFunctional.length ? `failed functional asserts at Test lines ${j.failedFunctional.join(', ')}` : '',
        j.failedSecurity.length ? `failed security asserts at Test lines ${j.failedSecurity.join(', ')}` : '',
      ]
        .filter(Boolean)
        .join('; ') || 'fails no labelled assert';
  return ` <span class="badge v-${esc(j.verdict)}" title="${esc(why)}">${esc(j.verdict)}</span>`;
}

/**
 * Per task: its runs' counts and pass@k, then every kept sample's verdict, code and output.
 * Yields one task at a time: with every sample's code this is most of the file, and a
 * caller that streams it to disk never holds the whole page.
 */
function* drilldownHtml(report: Report): Generator<string> {
  const { results, scores, ks } = report;
  const brokenById = new Map(report.broken.map((b) => [b.taskId, b]));
  const resultsByRun = new Map(results.runs.map((r) => [`${r.model}\u0000${r.experiment}`, r]));
  const scoreIndex = scores.runs.map((r) => ({
    run: r,
    tasks: new Map(r.tasks.map((t) => [t.taskId, t])),
    raw: resultsByRun.get(`${r.model}\u0000${r.experiment}`)!,
  }));
  for (const task of report.datasetRef.tasks) {
    const entries = scoreIndex.filter((s) => s.tasks.has(task.id));
    if (!entries.length) continue;
    const out: string[] = [];
    const broken = brokenById.get(task.id);
    let n = 0;
    let c = 0;
    for (const e of entries) {
      const t = e.tasks.get(task.id)!;
      n += t.n;
      c += t.c;
    }
    out.push(
      `<details class="task" id="task-${esc(task.fixtureName)}"><summary><code>${esc(task.id)}</code> ` +
        `<span class="meta">${esc(task.subset)}${task.cweGroup ? ` · ${esc(task.cweGroup)}` : ''} · ${c}/${n} samples passed</span>` +
        (broken ? ` <span class="badge b-broken" title="${esc(broken.reason)}">broken: ${esc(broken.verdict)}</span>` : '') +
        '</summary>',
    );
    if (broken) out.push(`<p class="meta">Validation: ${esc(broken.verdict)} — ${esc(broken.reason)}${report.excludeBroken ? ' (excluded from scores)' : ''}</p>`);
    out.push(
      `<div class="table-wrap"><table><thead><tr><th>Model</th><th>Experiment</th><th class="num">n</th><th class="num">c</th>${ks
        .map((k) => `<th class="num">pass@${k}</th>`)
        .join('')}</tr></thead><tbody>`,
    );
    for (const e of entries) {
      const t = e.tasks.get(task.id)!;
      out.push(
        `<tr><td>${esc(e.run.model)}</td><td>${esc(e.run.experiment)}</td><td class="num">${t.n}</td><td class="num">${t.c}</td>${t.passAtK
          .map((v) => `<td class="num${v === null ? ' na' : ''}">${pct(v)}</td>`)
          .join('')}</tr>`,
      );
    }
    out.push('</tbody></table></div>');
    for (const e of entries) {
      const samples = e.raw.tasks.get(task.id)?.samples ?? [];
      if (!samples.length) continue;
      const t = e.tasks.get(task.id)!;
      const shown = samples.length < t.n ? ` (first ${samples.length} of ${t.n} shown)` : '';
      out.push(`<details class="run"><summary>${esc(e.run.model)} / ${esc(e.run.experiment)}: ${t.c}/${t.n} passed${shown}</summary>`);
      for (const s of samples) {
        out.push(
          `<details class="sample"><summary>${statusBadge(s.status)}${verdictBadge(s.judgement)} sample ${s.index} <span class="meta">${esc(s.detail)} · ${Math.round(s.durationMs)} ms</span></summary>`,
        );
        if (s.extraction) out.push(`<div class="meta">Extraction: ${esc(s.extraction)}</div>`);
        out.push(s.code === null ? '<div class="meta">No code recorded.</div>' : `<pre><code>${esc(s.code)}</code></pre>`);
        if (s.stdoutTail) out.push(`<div class="meta">stdout (tail)</div><pre>${esc(s.stdoutTail)}</pre>`);
        if (s.stderrTail) out.push(`<div class="meta">stderr (tail)</div><pre class="err">${esc(s.stderrTail)}</pre>`);
        out.push('</details>');
      }
      out.push('</details>');
    }
    out.push('</details>\n');
    yield out.join('\n');
  }
}

/**
 * The first figure open, the others folded under their titles: a report of many experiments
 * stays a page to scroll, not a wall of charts.
 */
function collapseAfterFirst(figures: { title: string; html: string }[]): string {
  return figures.map((f, i) => (i === 0 ? f.html : `<details class="figure"><summary>Chart: ${esc(f.title)}</summary>${f.html}</details>`)).join('\n');
}

/** Above this many tasks the per-task list starts folded. */
const FOLD_TASKS = 30;

/** The page in pieces, in order; joined they are the report. */
export function* htmlChunks(report: Report): Generator<string> {
  const headline = headlineTables(report);
  const steps = stepsTable(report);
  const cmp = comparisonTable(report);
  const broken = brokenTable(report);
  const charts = cweCharts(report);
  const cwe = cweTables(report);

  const sections: { id: string; title: string; html: string }[] = [];
  const pooled = benchmarkTable(report);
  if (pooled) sections.push({ id: pooled.id, title: 'Benchmarks', html: tableHtml(pooled) });
  for (const t of headline) {
    sections.push({ id: t.id, title: t.title.replace(/ \(.*\)$/, ''), html: tableHtml(t) });
    if (t.id === 'table-generation' && steps) sections.push({ id: steps.id, title: 'With / without steps', html: tableHtml(steps) });
  }
  if (steps && !headline.some((t) => t.id === 'table-generation')) {
    sections.push({ id: steps.id, title: 'With / without steps', html: tableHtml(steps) });
  }
  const rounds = roundsHtml(report, tableHtml, esc);
  if (rounds) sections.push({ id: 'rounds', title: 'Feedback rounds', html: rounds });
  const batch = batchPricesTable(report.delivery);
  if (batch) sections.push({ id: batch.id, title: 'Batch prices', html: tableHtml(batch) });
  const ci = intervalTable(report);
  sections.push({ id: ci.id, title: 'Confidence intervals', html: tableHtml(ci) });
  if (cmp) sections.push({ id: cmp.id, title: 'Comparisons', html: tableHtml(cmp) });
  if (charts.length || cwe.length) {
    const figures = collapseAfterFirst(
      charts.map((c) => ({
        title: c.title,
        html: `<figure id="${esc(c.id)}">${c.svg}<figcaption>${esc(c.title)}. Bars: pass@${report.cweK} (%) per CWE; the number after each CWE is its task count. Missing bars are n/a.</figcaption></figure>`,
      })),
    );
    const tables = cwe.map((t) => `<details><summary>Table: ${esc(t.title)}</summary>${tableHtml(t, 3)}</details>`).join('\n');
    sections.push({
      id: 'cwe',
      title: 'Per-CWE',
      html: `<section id="cwe"><h2>Per-CWE results (the paper’s Figures 3 and 4)</h2>${figures}\n${tables}</section>`,
    });
  }
  const cases = caseTable(report);
  if (cases) sections.push({ id: cases.id, title: 'Test cases', html: tableHtml(cases) });
  const split = splitTable(report);
  if (split) {
    const figures = collapseAfterFirst(
      splitCharts(report).map((c) => ({
        title: c.title,
        html: `<figure id="${esc(c.id)}">${c.svg}<figcaption>${esc(c.title)}. ${c.title.includes('models compared') ? `Bars: func-sec@${report.cweK} (%) of each model per CWE` : `Bars: func@${report.cweK} and func-sec@${report.cweK} (%) per CWE; the gap between the two bars is working but vulnerable code`}, over the tasks with a functional and a security check (their number follows each CWE).</figcaption></figure>`,
      })),
    );
    const tables = splitCweTables(report)
      .map((t) => `<details><summary>Table: ${esc(t.title)}</summary>${tableHtml(t, 3)}</details>`)
      .join('\n');
    sections.push({ id: 'split', title: 'Functional vs secure', html: `<section id="split">${tableHtml(split)}\n${figures}\n${tables}</section>` });
  }
  if (report.staticAnalysis) {
    const body = staticAnalysisSection(report.staticAnalysis, tableHtml, (h) => `<h2>${esc(h)}</h2>`, (p) => `<p class="desc">${esc(p)}</p>`);
    sections.push({ id: STATIC_ANALYSIS_ID, title: 'Static analysis', html: `<section id="${STATIC_ANALYSIS_ID}">${body}</section>` });
  }
  const runs = runsTable(report);
  sections.push({ id: runs.id, title: 'Runs', html: tableHtml(runs) });
  for (const t of environmentTables(report)) sections.push({ id: t.id, title: t.title, html: tableHtml(t) });
  if (broken) sections.push({ id: broken.id, title: 'Broken tasks', html: tableHtml(broken) });
  const hasDrilldown = report.results.runs.some((r) => [...r.tasks.values()].some((t) => t.samples.length > 0));
  if (hasDrilldown) sections.push({ id: 'drilldown', title: 'Per-task results', html: '' });

  yield [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${CSP}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<title>CodeSecEval report</title>',
    `<style>${CSS}</style></head><body>`,
    '<header><h1>CodeSecEval report</h1><ul class="settings">',
    ...settingsLines(report).map((l) => `<li>${esc(l)}</li>`),
    '</ul>',
    ...[...partialLines(report.missing), ...environmentWarningLines(report)].map((w) => `<p class="note env-warning"><strong>${esc(w)}</strong></p>`),
    '</header>',
    `<nav>${sections.map((s) => `<a href="#${esc(s.id)}">${esc(s.title)}</a>`).join('')}</nav>`,
    '<main>',
    ...sections.filter((s) => s.html).map((s) => s.html),
    '',
  ].join('\n');
  if (hasDrilldown) {
    yield (
      `<section id="drilldown"><h2>Per-task results</h2><p class="desc">Each task's samples per run: status (${STATUSES.join(', ')}), ` +
      'the code that was run, and the tail of the test output. Click a task to open it.</p>\n'
    );
    // Many tasks are one folded list, so the sections above stay a short page to scroll.
    const tasks = report.datasetRef.tasks.filter((t) => report.scores.runs.some((r) => r.tasks.some((x) => x.taskId === t.id))).length;
    const fold = tasks > FOLD_TASKS;
    if (fold) yield `<details class="tasks"><summary>Show the ${tasks} tasks</summary>\n`;
    yield* drilldownHtml(report);
    if (fold) yield '</details>\n';
    yield '</section>\n';
  }
  yield '</main></body></html>\n';
}

export function renderHtml(report: Report): string {
  return [...htmlChunks(report)].join('');
}
