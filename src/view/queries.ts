import { statSync } from 'node:fs';
import path from 'node:path';
import { usageSummary } from './usage.js';
import { compareSplit, perCweDifferences } from './compare-split.js';
import { sampleFindings } from './analysis.js';
import { formatPValue } from '../score/p-value.js';
import { z } from 'zod';
import { VERDICTS, type RunInfo, type SampleEntry, type TaskRun, type Verdict, type ViewData } from './data.js';
import { highlight } from './highlight.js';
import { INLINE_BYTES, lineText, renderLine } from './sample-pool.js';
import type { TextField } from './sample-render.js';
import {
  compareRuns,
  cweGroupName,
  judgeCases,
  lockState,
  DEFAULT_BOOTSTRAP,
  defaultPairs,
  emptyStatusCounts,
  normaliseCwe,
  passAtK,
  Resampler,
  STATUSES,
  type AnalysisFile,
  type Dataset,
  type ResultLine,
  type JsonGroup,
  type JsonReport,
  type PairedColumn,
  type Status,
  type Task,
  shardFile,
} from './sources.js';

/** A request the page made that cannot be answered (unknown run, task or sample). */
export class NotFound extends Error {}

// ---------------------------------------------------------------------------------------------
// Query parameters: the URL is untrusted input, so every one is checked here.

/**
 * Run keys hold the model and experiment names, which may be long (a model path, a tag):
 * the bound is only that of a URL Node accepts (16 KiB of headers).
 */
const Name = z.string().min(1).max(16_384);
const List = z.array(Name).max(500);

export const TaskFilter = z.object({
  runs: List.default([]),
  models: List.default([]),
  experiments: List.default([]),
  benchmark: Name.nullable().default(null),
  subset: Name.nullable().default(null),
  cwe: Name.nullable().default(null),
  status: z.enum(STATUSES).nullable().default(null),
  verdict: z.enum(['secure', 'vulnerable', 'wrong']).nullable().default(null),
  broken: z.enum(['show', 'hide', 'only']).default('show'),
  q: z.string().max(500).default(''),
});
export type TaskFilter = z.infer<typeof TaskFilter>;

/**
 * The URL parameter of each filter field. The page learns these from /api/meta, so the
 * browser code keeps no copy of them.
 */
export const FILTER_PARAMS = {
  runs: 'run',
  models: 'model',
  experiments: 'exp',
  benchmark: 'benchmark',
  subset: 'subset',
  cwe: 'cwe',
  status: 'status',
  verdict: 'verdict',
  broken: 'broken',
  q: 'q',
} as const satisfies Record<keyof TaskFilter, string>;

const LIST_FIELDS = new Set<keyof TaskFilter>(['runs', 'models', 'experiments']);

/** Read the filter out of URL parameters (repeated keys for lists). */
export function filterFromParams(p: URLSearchParams): TaskFilter {
  const raw: Record<string, unknown> = {};
  for (const [field, key] of Object.entries(FILTER_PARAMS) as [keyof TaskFilter, string][]) {
    if (LIST_FIELDS.has(field)) raw[field] = p.getAll(key);
    else if (field === 'q') raw[field] = p.get(key) ?? '';
    else raw[field] = p.get(key) || (field === 'broken' ? undefined : null);
  }
  return TaskFilter.parse(raw);
}

/** The server's vocabulary for the page: fixed for the server's lifetime. */
export function meta(data?: ViewData) {
  const cweNames: Record<string, string> = {};
  for (const t of data?.dataset.tasks ?? []) {
    if (t.cweGroup && !(t.cweGroup in cweNames)) cweNames[t.cweGroup] = cweGroupName(t.cweGroup) ?? '';
  }
  return {
    statuses: [...STATUSES],
    verdicts: [...VERDICTS],
    filterKeys: Object.values(FILTER_PARAMS),
    sortKeys: [...TASK_SORTS],
    cweNames,
  };
}

/** Columns the task table sorts by; `rs:KEY` sorts by one result set's pass rate. */
export const TASK_SORTS = ['task', 'benchmark', 'subset', 'cwe', 'broken', 'samples', 'passed', 'secure', 'vulnerable', 'wrong'] as const;
export const TaskSort = z.object({
  sort: z.union([z.enum(TASK_SORTS), z.string().regex(/^rs:.{1,500}$/)]).nullable().default(null),
  dir: z.enum(['asc', 'desc']).default('asc'),
});
export type TaskSort = z.infer<typeof TaskSort>;

export function sortFromParams(p: URLSearchParams): TaskSort {
  return TaskSort.parse({ sort: p.get('sort') || null, dir: p.get('dir') || undefined });
}

/** The benchmark each task belongs to: a merged dataset's parts, else the dataset's own kind. */
const benchmarkIndex = new WeakMap<Dataset, Map<string, string>>();
export function benchmarkOfTask(ds: Dataset, taskId: string): string {
  let m = benchmarkIndex.get(ds);
  if (!m) {
    m = new Map();
    for (const part of ds.parts ?? [ds]) for (const t of part.tasks) m.set(t.id, part.kind);
    benchmarkIndex.set(ds, m);
  }
  return m.get(taskId) ?? ds.kind;
}

/** CWE numbers in numeric order ("CWE-20" before "CWE-200"), merged groups by their first. */
export function compareCwe(a: string, b: string): number {
  const num = (g: string) => Number((/CWE-(\d+)/.exec(g) ?? [0, 1e9])[1]);
  return num(a) - num(b) || a.localeCompare(b);
}

// ---------------------------------------------------------------------------------------------

/**
 * A result set (one model x experiment in one run folder). `source` is the run folder's label,
 * unique among the folders shown; `folder` its path, for tooltips.
 */
function runRef(r: RunInfo) {
  return { key: r.key, source: r.source.label, folder: r.source.spec.dir, model: r.model, experiment: r.experiment };
}

function cweMatches(task: Task, wanted: string | null): boolean {
  if (!wanted) return true;
  if (task.cweGroup === wanted) return true;
  try {
    return task.cweGroup !== null && task.cweGroup === normaliseCwe(wanted);
  } catch {
    return false;
  }
}

/**
 * Tasks that result lines name but the dataset does not have (another version of it, a typo,
 * a file of another benchmark): listed with their samples so the page can flag them. Their
 * lines are kept and shown; only scores, which need the task, leave them out.
 */
export function unknownTasks(data: ViewData, runs: readonly RunInfo[]) {
  const out = new Map<string, { id: string; n: number; c: number; perRun: ([number, number] | null)[] }>();
  runs.forEach((r, i) => {
    for (const [id, t] of r.tasks) {
      if (data.dataset.byId.has(id)) continue;
      let u = out.get(id);
      if (!u) out.set(id, (u = { id, n: 0, c: 0, perRun: runs.map(() => null) }));
      u.n += t.n;
      u.c += t.c;
      u.perRun[i] = [t.n, t.c];
    }
  });
  return [...out.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export function overview(data: ViewData) {
  const runs = data.runs();
  const sources = data.sources.map((s) => ({
    label: s.label,
    dir: s.spec.dir,
    results: s.lines,
    samples: s.samplesParts.some(fileExists) ? s.samplesLines : null,
    state: runState(s.spec, [...s.parts, ...s.samplesParts, ...[...s.partShard.values()].map((sh) => shardFile(path.join(s.spec.dir, 'run'), sh))], s.lines, s.samplesParts.some(fileExists) ? s.samplesLines : null),
    /** Shard files read as one results file: the shards there and those missing (not started, or not given). */
    shards: s.shards,
    validation: s.validation ? s.spec.validation : null,
    labels: !!s.validation?.labels,
    broken: s.validation ? s.validation.broken.size : null,
    error: s.error,
    unknown_tasks: unknownTasks(data, [...s.runs.values()]).map((u) => ({ id: u.id, samples: u.n })),
    reportError: s.report ? null : s.reportError,
    reportBehind: s.report ? s.lines - s.report.lines : s.lines,
    split: s.report?.json.split ?? null,
    files: [...new Set([...s.parts, s.spec.results, ...s.samplesParts, s.spec.samples, s.spec.validation, ...s.spec.extras])].flatMap((f) => {
      const name = f ? f.slice(s.spec.dir.length + 1) : '';
      return f && fileExists(f) && !name.includes('/') ? [name] : [];
    }),
  }));
  const out = runs.map((r) => {
    const rep = r.source.report;
    const jr = rep?.json.runs.find((x) => x.model === r.model && x.experiment === r.experiment) ?? null;
    const statuses = emptyStatusCounts();
    const verdicts: Record<Verdict, number> = { secure: 0, vulnerable: 0, wrong: 0 };
    for (const t of r.tasks.values()) {
      for (const s of STATUSES) statuses[s] += t.statuses[s];
      for (const v of VERDICTS) verdicts[v] += t.verdicts[v];
    }
    const strip = (g: JsonGroup) => ({ group: g.group, tasks: g.tasks, broken_tasks: g.broken_tasks, min_samples: g.min_samples, pass_at_k: g.pass_at_k, ci: g.ci });
    return {
      ...runRef(r),
      samples: r.samples,
      tasks: r.tasks.size,
      unknown_tasks: [...r.tasks.keys()].filter((id) => !data.dataset.byId.has(id)).length,
      statuses,
      verdicts,
      scored: jr !== null,
      subsets: jr ? jr.subsets.map(strip) : [],
      cwes: jr ? jr.cwes.map((g) => ({ group: g.group, tasks: g.tasks, pass_at_k: g.pass_at_k, ci: g.ci })) : [],
      split: jr?.split ? { judged_samples: jr.split.judged_samples, subsets: jr.split.subsets } : null,
      usage: usageSummary(r.usage, r.samples),
      analysis: analysisOverall(rep?.json, r.model, r.experiment),
    };
  });
  // The comparisons `report --compare` would make, offered as links (computed when opened).
  const suggestions: { a: string; b: string }[] = [];
  for (const s of data.sources) {
    if (!s.report) continue;
    const byScores = new Map([...s.report.scores].map(([k, v]) => [v, k]));
    for (const [a, b] of defaultPairs([...s.report.scores.values()])) suggestions.push({ a: byScores.get(a)!, b: byScores.get(b)! });
  }
  const groups = data.dataset.tasks.reduce((m, t) => {
    if (t.cweGroup) m.set(t.cweGroup, (m.get(t.cweGroup) ?? 0) + 1);
    return m;
  }, new Map<string, number>());
  return {
    version: data.version,
    dataset: { source: data.dataset.source, kind: data.dataset.kind, tasks: data.dataset.tasks.length },
    ks: data.ks,
    sources,
    runs: out,
    suggestions,
    cweGroups: [...groups].map(([group, tasks]) => ({ group, tasks })),
  };
}

/** The analyzer's agreement with the tests over all tasks of one result set (`run --analyze`). */
function analysisOverall(json: JsonReport | undefined, model: string, experiment: string) {
  const sa = json?.static_analysis;
  const r = sa?.runs.find((x) => x.model === model && x.experiment === experiment);
  const g = r?.subsets[0];
  if (!sa || !r || !g) return null;
  return { analyzer: sa.analyzer, basis: r.basis, n: g.n, agreement: g.agreement, kappa: g.kappa, flagged_rate: g.flagged_rate, bad_flagged_rate: g.bad_flagged_rate, good_flagged_rate: g.good_flagged_rate };
}

/**
 * Is a run folder still being written? `running` while a live command holds the lock of the
 * run, its samples or its results (`elsewhere` when the holder is on another machine);
 * `interrupted` when fewer samples are judged than were made and nothing holds a lock (the
 * command was stopped: running it again continues); `complete` otherwise.
 */
function runState(spec: { dir: string; samples: string | null; results: string }, parts: readonly string[], results: number, samples: number | null) {
  const locks = [path.join(spec.dir, 'run'), spec.results, ...parts, ...(spec.samples ? [spec.samples] : [])].map((f) => lockState(f));
  if (locks.includes('running')) return 'running' as const;
  if (locks.includes('elsewhere')) return 'elsewhere' as const;
  if (samples !== null && samples > results) return 'interrupted' as const;
  return 'complete' as const;
}

function fileExists(f: string): boolean {
  try {
    return statSync(f).isFile();
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------

interface Agg {
  n: number;
  c: number;
  statuses: Record<Status, number>;
  verdicts: Record<Verdict, number>;
}

function aggregate(runs: readonly RunInfo[], taskId: string): Agg {
  const a: Agg = {
    n: 0,
    c: 0,
    statuses: emptyStatusCounts(),
    verdicts: { secure: 0, vulnerable: 0, wrong: 0 },
  };
  for (const r of runs) {
    const t = r.tasks.get(taskId);
    if (!t) continue;
    a.n += t.n;
    a.c += t.c;
    for (const s of STATUSES) a.statuses[s] += t.statuses[s];
    for (const v of VERDICTS) a.verdicts[v] += t.verdicts[v];
  }
  return a;
}

function selectRuns(data: ViewData, f: Pick<TaskFilter, 'runs' | 'models' | 'experiments'>): RunInfo[] {
  return data.runs().filter(
    (r) =>
      (!f.runs.length || f.runs.includes(r.key)) &&
      (!f.models.length || f.models.includes(r.model)) &&
      (!f.experiments.length || f.experiments.includes(r.experiment)),
  );
}

function codeMatches(t: TaskRun | undefined, q: string): boolean {
  return !!t && t.samples.some((s) => s.hay.includes(q));
}

type Facet = 'benchmark' | 'subset' | 'cwe' | 'status' | 'verdict' | 'broken';

/**
 * The task explorer: tasks with samples in the selected runs that pass every filter, and for
 * each filter value, how many tasks it would leave given the other filters.
 */
export function tasks(data: ViewData, f: TaskFilter, order: TaskSort = { sort: null, dir: 'asc' }) {
  const q = f.q.trim().toLowerCase();
  const allRuns = data.runs();
  const selected = selectRuns(data, f);
  const brokenIds = new Set(data.dataset.tasks.filter((t) => data.brokenOf(t.id).length).map((t) => t.id));
  // Whether the text matches, per task and run (the text of the task itself counts for every run).
  const textHit = new Map<string, boolean>();
  const codeHit = new Map<string, Set<RunInfo>>();
  if (q) {
    for (const t of data.dataset.tasks) {
      textHit.set(t.id, data.taskText(t.id).includes(q));
      const hits = new Set<RunInfo>();
      for (const r of allRuns) if (codeMatches(r.tasks.get(t.id), q)) hits.add(r);
      codeHit.set(t.id, hits);
    }
  }

  // Facet counts ask about the same tasks and runs many times over: aggregate each once.
  const aggs = new Map<readonly RunInfo[], Map<string, Agg>>();
  const aggOf = (runs: readonly RunInfo[], id: string): Agg => {
    let m = aggs.get(runs);
    if (!m) aggs.set(runs, (m = new Map()));
    let a = m.get(id);
    if (!a) m.set(id, (a = aggregate(runs, id)));
    return a;
  };
  const passes = (task: Task, runs: readonly RunInfo[], skip: Facet | null): Agg | null => {
    const agg = aggOf(runs, task.id);
    if (!agg.n) return null;
    if (q && !textHit.get(task.id) && !runs.some((r) => codeHit.get(task.id)!.has(r))) return null;
    if (skip !== 'benchmark' && f.benchmark && benchmarkOfTask(data.dataset, task.id) !== f.benchmark) return null;
    if (skip !== 'subset' && f.subset && task.subset !== f.subset) return null;
    if (skip !== 'cwe' && !cweMatches(task, f.cwe)) return null;
    const broken = brokenIds.has(task.id);
    if (skip !== 'broken' && ((f.broken === 'hide' && broken) || (f.broken === 'only' && !broken))) return null;
    if (skip !== 'status' && f.status && !agg.statuses[f.status]) return null;
    if (skip !== 'verdict' && f.verdict && !agg.verdicts[f.verdict]) return null;
    return agg;
  };

  const rows = [];
  let samples = 0;
  for (const task of data.dataset.tasks) {
    const agg = passes(task, selected, null);
    if (!agg) continue;
    samples += agg.n;
    rows.push({
      id: task.id,
      benchmark: benchmarkOfTask(data.dataset, task.id),
      subset: task.subset,
      cwe: task.cweGroup,
      broken: brokenIds.has(task.id),
      n: agg.n,
      c: agg.c,
      statuses: agg.statuses,
      verdicts: agg.verdicts,
      perRun: selected.map((r) => {
        const t = r.tasks.get(task.id);
        return t ? ([t.n, t.c] as [number, number]) : null;
      }),
    });
  }

  const count = (runs: readonly RunInfo[], skip: Facet | null, test: (t: Task, a: Agg) => boolean) => {
    let n = 0;
    for (const task of data.dataset.tasks) {
      const a = passes(task, runs, skip);
      if (a && test(task, a)) n++;
    }
    return n;
  };
  const values = <T extends string>(xs: Iterable<T>) => [...new Set(xs)];
  const facetOf = <T extends string>(vals: readonly T[], skip: Facet, test: (v: T) => (t: Task, a: Agg) => boolean) =>
    vals.map((v) => ({ value: v, tasks: count(selected, skip, test(v)) }));
  const runsFor = (model: string | null, experiment: string | null) =>
    selectRuns(data, {
      runs: f.runs,
      models: model !== null ? [model] : f.models,
      experiments: experiment !== null ? [experiment] : f.experiments,
    });
  const facets = {
    model: values(allRuns.map((r) => r.model)).map((m) => ({ value: m, tasks: count(runsFor(m, null), null, () => true) })),
    experiment: values(allRuns.map((r) => r.experiment)).map((e) => ({ value: e, tasks: count(runsFor(null, e), null, () => true) })),
    benchmark: facetOf(values(data.dataset.tasks.map((t) => benchmarkOfTask(data.dataset, t.id))), 'benchmark', (v) => (t) => benchmarkOfTask(data.dataset, t.id) === v),
    subset: facetOf(values(data.dataset.tasks.map((t) => t.subset)), 'subset', (v) => (t) => t.subset === v),
    cwe: facetOf(values(data.dataset.tasks.flatMap((t) => (t.cweGroup ? [t.cweGroup] : []))).sort(compareCwe), 'cwe', (v) => (t) => t.cweGroup === v),
    status: facetOf(STATUSES, 'status', (v) => (_t, a) => a.statuses[v] > 0),
    verdict: facetOf(VERDICTS, 'verdict', (v) => (_t, a) => a.verdicts[v] > 0),
    broken: facetOf(['show', 'hide', 'only'] as const, 'broken', (v) => (t) => v === 'show' || (v === 'only') === brokenIds.has(t.id)),
  };
  sortRows(rows, selected, order);
  // Tasks outside the dataset match no subset or CWE; they are listed apart, flagged.
  const unknown = unknownTasks(data, selected).filter((u) => !q || selected.some((r) => codeMatches(r.tasks.get(u.id), q)));
  return { version: data.version, runs: selected.map(runRef), rows, samples, facets, sort: order, unknown_tasks: unknown };
}

type TaskRow = {
  id: string;
  benchmark: string;
  subset: string;
  cwe: string | null;
  broken: boolean;
  n: number;
  c: number;
  verdicts: Record<Verdict, number>;
  perRun: ([number, number] | null)[];
};

/**
 * Order the task table: by a column or one result set's pass rate; ties (and no sort) keep
 * dataset order, so the order is the same on every load. Missing values go last either way.
 */
function sortRows(rows: TaskRow[], runs: readonly RunInfo[], { sort, dir }: TaskSort): void {
  if (!sort) return;
  const pos = new Map(rows.map((r, i) => [r.id, i]));
  const rsIndex = sort.startsWith('rs:') ? runs.findIndex((r) => r.key === sort.slice(3)) : -1;
  const key = (r: TaskRow): string | number | null => {
    switch (sort) {
      case 'task':
        return r.id;
      case 'benchmark':
        return r.benchmark;
      case 'subset':
        return r.subset;
      case 'cwe':
        return r.cwe;
      case 'broken':
        return r.broken ? 1 : 0;
      case 'samples':
        return r.n;
      case 'passed':
        return r.n ? r.c / r.n : null;
      case 'secure':
      case 'vulnerable':
      case 'wrong':
        return r.verdicts[sort];
      default: {
        const nc = rsIndex >= 0 ? r.perRun[rsIndex] : null;
        return nc && nc[0] ? nc[1] / nc[0] : null;
      }
    }
  };
  const sign = dir === 'desc' ? -1 : 1;
  const keys = new Map(rows.map((r) => [r.id, key(r)]));
  rows.sort((a, b) => {
    const x = keys.get(a.id) ?? null;
    const y = keys.get(b.id) ?? null;
    if (x === null || y === null) return x === y ? pos.get(a.id)! - pos.get(b.id)! : x === null ? 1 : -1;
    const c = sort === 'cwe' ? compareCwe(String(x), String(y)) : typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y), 'en', { numeric: true });
    return c * sign || pos.get(a.id)! - pos.get(b.id)!;
  });
}

// ---------------------------------------------------------------------------------------------

function sampleSummary(s: SampleEntry) {
  return {
    index: s.index,
    status: s.status,
    passed: s.passed,
    verdict: s.verdict,
    detail: s.detail,
    duration_ms: s.durationMs,
    fail_line: s.failLine,
    failed_functional: s.failedFunctional,
    failed_security: s.failedSecurity,
  };
}

/** Assert labels of a task from the first source that has them (the selected runs' first). */
function labelsFor(data: ViewData, taskId: string, runs: readonly RunInfo[]) {
  const order = [...new Set([...runs.map((r) => r.source), ...data.sources])];
  for (const s of order) {
    const rec = s.validation?.data.records.find((r) => r.task_id === taskId);
    if (rec?.assert_labels) {
      return {
        source: s.label,
        asserts: rec.assert_labels.map((a) => ({ line: a.line, label: a.label, secure: a.secure, insecure: a.insecure })),
        statements: (rec.statement_labels ?? []).map((x) => ({ line: x.line, label: x.label })),
      };
    }
  }
  return null;
}

/** A task page: the task's own texts and code, and a summary of every sample of the chosen runs. */
export function task(data: ViewData, taskId: string, f: TaskFilter) {
  const t = data.dataset.byId.get(taskId);
  // Every result set with samples of this task is listed, so any can be picked on the page;
  // `selected` says which the filter chose (all of them when there is no filter).
  const all = data.runs().filter((r) => r.tasks.has(taskId));
  const chosen = new Set(selectRuns(data, f));
  const runs = all.filter((r) => chosen.has(r));
  if (!t) {
    if (!all.length) throw new NotFound(`no task ${taskId} in the dataset`);
    // Results name it but the dataset does not: its samples, flagged, without the task's texts.
    return { version: data.version, task: null, unknown_task: taskId, broken: [], labels: null, runs: all.map((r) => taskRun(r, taskId, chosen.has(r))) };
  }
  return {
    version: data.version,
    task: {
      id: t.id,
      subset: t.subset,
      cwe: t.cweGroup,
      cwes: t.cwes,
      entry_point: t.entryPoint,
      problem: t.problem,
      vuln_aware_problem: t.vulnAwareProblem,
      insecure_code_explanation: t.insecureCodeExplanation,
      secure: highlight(t.secureCode),
      insecure: t.insecureCode === null ? null : highlight(t.insecureCode),
      test: highlight(t.test),
    },
    broken: data.brokenOf(taskId),
    labels: labelsFor(data, taskId, runs),
    runs: all.map((r) => taskRun(r, taskId, chosen.has(r))),
  };
}

function taskRun(r: RunInfo, taskId: string, selected: boolean) {
  const tr = r.tasks.get(taskId)!;
  return {
    ...runRef(r),
    selected,
    n: tr.n,
    c: tr.c,
    pass_at_1: passAtK(tr.n, tr.c, 1),
    samples: [...tr.samples].sort((a, b) => a.index - b.index).map(sampleSummary),
  };
}

function caseVerdict(cases: ResultLine['cases'] | null | undefined): 'secure' | 'vulnerable' | 'wrong' | null {
  const j = judgeCases(cases ?? undefined);
  if (!j.ran) return null;
  return j.vulnerable ? 'vulnerable' : !j.functional ? 'wrong' : 'secure';
}

function findSample(data: ViewData, key: string, taskId: string, index: number) {
  const run = data.run(key);
  if (!run) throw new NotFound(`no run ${key}`);
  const entry = run.tasks.get(taskId)?.samples.find((s) => s.index === index);
  if (!entry) throw new NotFound(`no sample ${index} of ${taskId} in ${key}`);
  return { run, entry };
}

/** `/api/sample-text`: the whole text of one field of a sample, for the parts a page shows cut. */
export function sampleTextUrl(key: string, taskId: string, index: number, field: TextField): string {
  return `/api/sample-text?${new URLSearchParams({ run: key, task: taskId, index: String(index), field })}`;
}

/**
 * One sample in full: its program highlighted, diffs against both references, outputs,
 * rounds. A big line is rendered off the request path and shown in part (sample-render.ts).
 */
export async function sample(data: ViewData, key: string, taskId: string, index: number, analysis: AnalysisFile | null = null) {
  const { run, entry } = findSample(data, key, taskId, index);
  // A task outside the dataset: no references to compare with.
  const t = data.dataset.byId.get(taskId);
  const refs = { secure: t?.secureCode ?? null, insecure: t?.insecureCode ?? null };
  const body = await renderLine(entry, () => data.readSample(entry), refs, (f) => sampleTextUrl(key, taskId, index, f));
  return {
    version: data.version,
    run: runRef(run),
    task_id: taskId,
    unknown_task: !t,
    summary: sampleSummary(entry),
    ...body,
    /**
     * The verdict the test cases' roles give (score/'s rule), for samples without a soft-assert
     * judgement: vulnerable when a security case failed, wrong when a functionality case did.
     */
    case_verdict: caseVerdict(body.cases),
    /** From the run's analysis.jsonl (`run --analyze`): the analyzer's findings on this program. */
    analysis: findingsFor(data, analysis, entry, run, t),
  };
}

/** Findings for a program read in the request (a big one is not read here: it is only noted). */
function findingsFor(data: ViewData, analysis: AnalysisFile | null, entry: SampleEntry, run: RunInfo, task: Task | undefined) {
  if (!analysis) return null;
  if (!task) return { analyzer: analysis.header.analyzer, note: 'the task is not in the dataset', findings: [] };
  if (entry.length > INLINE_BYTES) return { analyzer: analysis.header.analyzer, note: 'not shown for a sample this big', findings: [] };
  return sampleFindings(analysis, data.readSample(entry), run.model, run.experiment, task);
}

export async function sampleFieldText(data: ViewData, key: string, taskId: string, index: number, field: TextField): Promise<Uint8Array> {
  const { entry } = findSample(data, key, taskId, index);
  return lineText(entry, () => data.readSample(entry), field);
}

// ---------------------------------------------------------------------------------------------

const resampler = new Resampler(DEFAULT_BOOTSTRAP);

function column(c: PairedColumn | null) {
  return c
    ? { mean_a: c.meanA, mean_b: c.meanB, diff: c.diff, ci: c.ci, p_value: c.pValue, p_text: formatPValue(c.pValue), b_better: c.bBetter, a_better: c.aBetter, ties: c.ties }
    : null;
}

/** Two runs side by side: the paired difference with its interval, and every task they share. */
export async function compare(data: ViewData, a: string, b: string) {
  const ra = data.run(a);
  const rb = data.run(b);
  if (!ra) throw new NotFound(`no run ${a}`);
  if (!rb) throw new NotFound(`no run ${b}`);
  await data.reportsReady();
  const sa = ra.source.report?.scores.get(a);
  const sb = rb.source.report?.scores.get(b);
  const cmp = sa && sb ? compareRuns(sa, sb, data.ks, { resampler, permutations: 2000 }) : null;
  const xa = ra.source.report?.splits.get(a) ?? null;
  const xb = rb.source.report?.splits.get(b) ?? null;
  const split = xa && xb ? compareSplit(xa, xb, data.ks, resampler, 2000) : null;
  const rowsOut = [];
  for (const t of data.dataset.tasks) {
    const ta = ra.tasks.get(t.id);
    const tb = rb.tasks.get(t.id);
    if (!ta || !tb) continue;
    const pa = passAtK(ta.n, ta.c, 1)!;
    const pb = passAtK(tb.n, tb.c, 1)!;
    rowsOut.push({
      id: t.id,
      subset: t.subset,
      cwe: t.cweGroup,
      broken: data.brokenOf(t.id).length > 0,
      a: { n: ta.n, c: ta.c, pass_at_1: pa },
      b: { n: tb.n, c: tb.c, pass_at_1: pb },
      diff: pb - pa,
      flip: ta.c > 0 && tb.c === 0 ? 'a-only' : tb.c > 0 && ta.c === 0 ? 'b-only' : pa === pb ? 'same' : 'differ',
    });
  }
  return {
    version: data.version,
    a: runRef(ra),
    b: runRef(rb),
    ks: data.ks,
    tasks: cmp?.tasks ?? 0,
    scored: cmp !== null,
    per_k: cmp
      ? data.ks.flatMap((k, j) => {
          const c = column(cmp.perK[j] ?? null);
          return c ? [{ k, ...c }] : [];
        })
      : [],
    split: split
      ? {
          tasks: split.tasks,
          func_sec: data.ks.flatMap((k, j) => {
            const c = column(split.funcSec[j] ?? null);
            return c ? [{ k, ...c }] : [];
          }),
          vulnerable: split.vulnerable,
        }
      : null,
    per_cwe: sa && sb ? perCweDifferences(sa, sb, xa, xb) : [],
    rows: rowsOut,
  };
}
