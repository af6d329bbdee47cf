import type {  RunScores } from '../score/scores.js';
import { POOLED_LABEL } from '../score/groups.js';
import type { Report } from './build.js';
import { count, interval, pct, pValue, signedInterval, signedPct } from './display.js';
import { naNotes, scoreCell, text, type Cell, type Column, type Table } from './table-model.js';

export { naNotes, scoreCell, text, type Cell, type Column, type Table };
import { type ExperimentFamily, familyOf } from '../core/experiments.js';
import { STATUSES } from '../core/status.js';

const FAMILY_TITLES: Record<ExperimentFamily, { title: string; description: string }> = {
  generation: {
    title: 'Secure code generation (the paper’s Table 2)',
    description: 'Mean pass@k (%) over tasks: the share of tasks where at least one of k samples passes the security-aware tests.',
  },
  repair: {
    title: 'Secure code repair (the paper’s Table 4)',
    description: 'Mean pass@k (%) over tasks when the model is given the insecure code to fix.',
  },
  feedback: {
    title: 'Multi-round repair with feedback (beyond the paper)',
    description: 'Mean pass@k (%) over tasks of the final round; the per-round curve is in its own table. Experiments marked oracle saw test results.',
  },
  other: {
    title: 'Other experiments',
    description: 'Mean pass@k (%) over tasks for experiments outside the paper’s four.',
  },
};

function brokenNote(report: Report): string[] {
  if (!report.validationFile) return ['Broken tasks are not marked: no validation file was given (--validation).'];
  return [
    report.excludeBroken
      ? `${count(report.broken.length, 'broken task')} (per ${report.validationFile}) excluded from these scores.`
      : `${count(report.broken.length, 'broken task')} (per ${report.validationFile}) included in these scores; the “Broken” column counts them per row.`,
  ];
}

export function headlineTables(report: Report): Table[] {
  const { ks, scores } = report;
  const out: Table[] = [];
  for (const family of ['generation', 'repair', 'other'] as const) {
    const runs = scores.runs.filter((r) => familyOf(r.experiment) === family);
    if (!runs.length) continue;
    const columns: Column[] = [{ label: 'Model' }, { label: 'Experiment' }, { label: 'Tasks', numeric: true }];
    if (report.validationFile) columns.push({ label: 'Broken', numeric: true });
    for (const g of scores.groups.subsets) for (const k of ks) columns.push({ group: g.label, label: `pass@${k}`, numeric: true });
    const rows = runs.map((r) => {
      const overall = r.subsets[0]!;
      const row: Cell[] = [text(r.model), text(r.experiment), text(String(overall.tasks))];
      if (report.validationFile) row.push(text(String(overall.brokenTasks), overall.brokenTasks ? 'warn' : undefined));
      for (const g of r.subsets) ks.forEach((_, j) => row.push(scoreCell(g, j, report.bootstrap.confidence)));
      return row;
    });
    out.push({
      id: `table-${family}`,
      title: FAMILY_TITLES[family].title,
      description: FAMILY_TITLES[family].description,
      columns,
      rows,
      notes: [...naNotes(runs.flatMap((r) => r.subsets), ks), ...brokenNote(report)],
    });
  }
  return out;
}

export function stepsTable(report: Report): Table | null {
  const { ks } = report;
  const runs = report.scores.runs.filter((r) => r.steps);
  if (!runs.length) return null;
  const columns: Column[] = [{ label: 'Model' }];
  for (const group of ['With steps', 'Without steps']) {
    columns.push({ group, label: 'Tasks', numeric: true });
    for (const k of ks) columns.push({ group, label: `pass@${k}`, numeric: true });
  }
  const rows = runs.map((r) => {
    const row: Cell[] = [text(r.model)];
    for (const g of [r.steps!.with, r.steps!.without]) {
      row.push(text(String(g.tasks)));
      ks.forEach((_, j) => row.push(scoreCell(g, j, report.bootstrap.confidence)));
    }
    return row;
  });
  const steps = report.scores.groups.steps;
  return {
    id: 'table-steps',
    title: 'Vulnerability-aware generation with and without numbered steps (the paper’s Table 3)',
    description:
      'The vuln-aware-generation experiment, split by whether the vulnerability-aware problem lists numbered steps' +
      (steps ? ` (${steps.with.ids.length} of the dataset’s ${steps.with.ids.length + steps.without.ids.length} problems do).` : '.'),
    columns,
    rows,
    notes: naNotes(runs.flatMap((r) => [r.steps!.with, r.steps!.without]), ks),
  };
}

export function intervalTable(report: Report): Table {
  const { ks, scores } = report;
  const label = scores.groups.subsets[0]!.label;
  const pc = Math.round(report.bootstrap.confidence * 100);
  const columns: Column[] = [{ label: 'Model' }, { label: 'Experiment' }, { label: 'Tasks', numeric: true }];
  for (const k of ks) columns.push({ group: label, label: `pass@${k}`, numeric: true });
  const rows = scores.runs.map((r) => {
    const g = r.subsets[0]!;
    return [
      text(r.model),
      text(r.experiment),
      text(String(g.tasks)),
      ...ks.map((_, j): Cell => {
        const v = g.passAtK[j] ?? null;
        return v === null ? text('n/a', 'na') : text(`${pct(v)} [${interval(g.ci[j] ?? null)}]`);
      }),
    ];
  });
  return {
    id: 'table-intervals',
    title: `pass@k (%) with ${pc}% confidence intervals (${label})`,
    description: `Percentile bootstrap over tasks: ${report.bootstrap.resamples} resamples, seed ${report.bootstrap.seed}. The interval shows how much the score depends on which tasks the benchmark happens to contain.`,
    columns,
    rows,
    notes: [],
  };
}

/** One table per model: CWE groups down, experiments across, at the report's CWE k. */
export function cweTables(report: Report): Table[] {
  const { scores } = report;
  if (!scores.groups.cwes.length) return [];
  const j = report.ks.indexOf(report.cweK);
  const models = [...new Set(scores.runs.map((r) => r.model))];
  return models.map((model, mi) => {
    const runs = scores.runs.filter((r) => r.model === model);
    const columns: Column[] = [{ label: 'CWE' }, { label: 'Tasks', numeric: true }];
    if (report.validationFile) columns.push({ label: 'Broken', numeric: true });
    for (const r of runs) columns.push({ group: `pass@${report.cweK} (%)`, label: r.experiment, numeric: true });
    const rows = scores.groups.cwes.map((g, gi) => {
      const counted = Math.max(...runs.map((r) => r.cwes[gi]!.tasks));
      const broken = Math.max(...runs.map((r) => r.cwes[gi]!.brokenTasks));
      const row: Cell[] = [text(g.label), text(String(counted))];
      if (report.validationFile) row.push(text(String(broken), broken ? 'warn' : undefined));
      for (const r of runs) row.push(scoreCell(r.cwes[gi]!, j, report.bootstrap.confidence));
      return row;
    });
    return {
      id: `table-cwe-${mi + 1}`,
      title: `Per-CWE pass@${report.cweK}: ${model}`,
      columns,
      rows,
      notes: naNotes(runs.flatMap((r) => r.cwes), [report.cweK]).length
        ? ['n/a: no counted task of that CWE has results, or some has fewer samples than k.']
        : [],
    };
  });
}

export function comparisonTable(report: Report): Table | null {
  if (!report.comparisons.length) return null;
  const pc = Math.round(report.bootstrap.confidence * 100);
  const columns: Column[] = [
    { label: 'Baseline (A)' },
    { label: 'Compared (B)' },
    { label: 'k', numeric: true },
    { label: 'Tasks', numeric: true },
    { label: 'A (%)', numeric: true },
    { label: 'B (%)', numeric: true },
    { label: 'B − A', numeric: true },
    { label: `${pc}% CI`, numeric: true },
    { label: 'p', numeric: true },
    { label: 'B better / A better / tie', numeric: true },
  ];
  const rows: Cell[][] = [];
  for (const c of report.comparisons) {
    report.ks.forEach((k, j) => {
      const col = c.perK[j] ?? null;
      const head = [text(`${c.a.model} / ${c.a.experiment}`), text(`${c.b.model} / ${c.b.experiment}`), text(String(k)), text(String(c.tasks))];
      if (!col) {
        rows.push([...head, ...Array.from({ length: 6 }, () => text('n/a', 'na'))]);
        return;
      }
      const beyondNoise = col.ci[0] > 0 || col.ci[1] < 0;
      rows.push([
        ...head,
        text(pct(col.meanA)),
        text(pct(col.meanB)),
        text(signedPct(col.diff), beyondNoise ? 'warn' : undefined),
        text(signedInterval(col.ci)),
        text(pValue(col.pValue)),
        text(`${col.bBetter} / ${col.aBetter} / ${col.ties}`),
      ]);
    });
  }
  return {
    id: 'table-compare',
    title: 'Paired comparisons',
    description: `Differences of mean pass@k over the tasks both runs count. The interval is a paired bootstrap over tasks (${report.bootstrap.resamples} resamples); p is a two-sided sign-flip permutation test (${report.permutations} permutations). A difference whose interval excludes 0 is highlighted.`,
    columns,
    rows,
    notes: [],
  };
}

export function brokenTable(report: Report): Table | null {
  if (!report.validationFile) return null;
  return {
    id: 'table-broken',
    title: 'Broken tasks',
    description: report.excludeBroken
      ? 'Tasks whose own Secure Code fails or Insecure Code passes their Test. They are EXCLUDED from every score in this report (--exclude-broken).'
      : 'Tasks whose own Secure Code fails or Insecure Code passes their Test. They are INCLUDED in every score in this report; use --exclude-broken to score without them.',
    columns: [{ label: 'Task' }, { label: 'Subset' }, { label: 'Verdict' }, { label: 'Reason' }],
    rows: report.broken.map((b) => [text(b.taskId), text(b.subset), text(b.verdict, 'warn'), text(b.reason)]),
    notes: report.broken.length ? [] : ['No broken task.'],
  };
}

export function runsTable(report: Report): Table {
  const columns: Column[] = [
    { label: 'Model' },
    { label: 'Experiment' },
    { label: 'Samples', numeric: true },
    { label: 'Tasks with results', numeric: true },
    ...STATUSES.map((s) => ({ group: 'Statuses', label: s, numeric: true })),
  ];
  const rows = report.scores.runs.map((r: RunScores) => [
    text(r.model),
    text(r.experiment),
    text(String(r.samples)),
    text(`${r.tasks.length} / ${report.dataset.tasks}`, r.tasks.length < report.dataset.tasks ? 'warn' : undefined),
    ...STATUSES.map((s) => text(String(r.statuses[s]))),
  ]);
  return {
    id: 'table-runs',
    title: 'Runs',
    description: 'Each (model, experiment) pair found in the results files, with how its samples ended.',
    columns,
    rows,
    notes: [],
  };
}

/** Lines saying how the numbers were made, printed at the top of every format. */
export function settingsLines(report: Report): string[] {
  const split = report.split
    ? [
        `Functional vs secure: ${report.split.splittableTasks} of ${report.split.labelledTasks} labelled tasks have a functional and a security check (labels per ${report.validationFile}); func@k, func-sec@k and the vulnerable rate are over those`,
      ]
    : report.splitNote
      ? [`Functional vs secure: not shown. ${report.splitNote}`]
      : [];
  return [
    `Dataset: ${report.dataset.source} (${report.dataset.tasks} tasks)`,
    `Results: ${report.inputs.join(', ')}`,
    `k: ${report.ks.join(', ')} (unbiased pass@k estimator of Chen et al. 2021; n/a where a task has fewer than k samples)`,
    report.validationFile
      ? `Broken tasks: ${report.broken.length} per ${report.validationFile}, ${report.excludeBroken ? 'EXCLUDED from scores (--exclude-broken)' : 'INCLUDED in scores'}`
      : 'Broken tasks: not marked (no --validation file)',
    `Confidence intervals: ${Math.round(report.bootstrap.confidence * 100)}% percentile bootstrap over tasks, ${report.bootstrap.resamples} resamples, seed ${report.bootstrap.seed}`,
    !report.completenessChecked
      ? 'Completeness: not checked (no samples file beside the results)'
      : report.missing.length
        ? `Completeness: PARTIAL — ${report.missing.length} model × experiment result set(s) lack results (see the warnings)`
        : 'Completeness: every sample of the samples file has its result',
    ...split,
    ...untestableLine(report),
  ];
}

/** Upstream records without a test file: not tasks, so in no score, but said. */
function untestableLine(report: Report): string[] {
  const u = report.datasetRef.untestable ?? [];
  if (!u.length) return [];
  const shown = u.slice(0, 10).map((x) => x.id).join(', ');
  return [`Untestable records (no test file; in no score): ${u.length}: ${shown}${u.length > 10 ? `, and ${u.length - 10} more` : ''}`];
}

/**
 * Test-file benchmarks (SALLM, CWEval): func@k, func-sec@k, secure@k and vulnerable@k per
 * run, overall and per subset, from each sample's labelled test cases (definitions in
 * docs/benchmarks.md).
 */
export function caseTable(report: Report): Table | null {
  const runs = report.caseScores;
  if (!runs) return null;
  const { ks } = report;
  const conf = report.bootstrap.confidence;
  const columns: Column[] = [{ label: 'Model' }, { label: 'Experiment' }, { label: 'Group' }, { label: 'Tasks', numeric: true }];
  const metrics = [['func', 'func'], ['funcSec', 'func-sec'], ['secure', 'secure'], ['vulnerable', 'vulnerable']] as const;
  for (const [, name] of metrics) for (const k of ks) columns.push({ group: name, label: `${name}@${k}`, numeric: true });
  const rows: Cell[][] = [];
  for (const r of runs) {
    for (const g of r.subsets) {
      if (!g.func.tasks) continue;
      const row: Cell[] = [text(r.model), text(r.experiment), text(g.group), text(String(g.func.tasks))];
      for (const [key] of metrics) ks.forEach((_, j) => row.push(scoreCell(g[key], j, conf)));
      rows.push(row);
    }
  }
  return {
    id: 'table-cases',
    title: 'Functionality and security test cases (SALLM, CWEval)',
    description:
      'Mean over tasks (%). func@k: some of k samples passes every functionality case; func-sec@k: every functionality and security case; secure@k: all k samples pass every security case; vulnerable@k: some of k samples fails a security case. A sample whose test file never ran is neither secure nor vulnerable.',
    columns,
    rows,
    notes: naNotes(runs.flatMap((r) => r.subsets.map((g) => g.func)), ks),
  };
}

/**
 * A run over several benchmarks opens with this: one row per benchmark and a pooled row over
 * every task (each task weighs the same, so a bigger benchmark weighs more), one column per
 * model and experiment, at the report's CWE k. Null for a run over one benchmark.
 */
export function benchmarkTable(report: Report): Table | null {
  const { scores } = report;
  const groups = scores.groups.subsets;
  if (groups[0]?.label !== POOLED_LABEL || groups.length < 3) return null;
  const j = report.ks.indexOf(report.cweK);
  const columns: Column[] = [{ label: 'Benchmark' }, { label: 'Tasks', numeric: true }];
  for (const r of scores.runs) columns.push({ group: r.model, label: `${r.experiment} pass@${report.cweK}`, numeric: true });
  const order = [...groups.slice(1), groups[0]!];
  const rows = order.map((g) => {
    const label = g === groups[0] ? `${POOLED_LABEL} (all tasks)` : g.label;
    const row: Cell[] = [text(label), text(String(g.ids.length))];
    for (const r of scores.runs) {
      const s = r.subsets.find((x) => x.group === g.label);
      row.push(s ? scoreCell(s, j, report.bootstrap.confidence) : text('n/a', 'na'));
    }
    return row;
  });
  return {
    id: 'table-benchmarks',
    title: 'Models × benchmarks',
    description: `Mean pass@${report.cweK} (%) over each benchmark’s tasks, and pooled over all of them with every task weighing the same. Per-benchmark tables follow.`,
    columns,
    rows,
    notes: naNotes(scores.runs.flatMap((r) => r.subsets), [report.cweK]),
  };
}
