import { existsSync, lstatSync } from 'node:fs';
import path from 'node:path';
import { childRunFolders, Labeller, resolveInputs, resultParts, runFolderSpec, shardFilesIn, type Inputs, type ParentSpec, type SourceSpec } from './inputs.js';
import {
  buildReport,
  compareExperiments,
  DEFAULT_KS,
  emptyStatusCounts,
  acceptResultLine,
  countLinesSync,
  fallbackModel,
  FileError,
  SampleRegister,
  UserError,
  DatasetError,
  repairHint,
  loadValidation,
  readJsonlLineSync,
  readJsonlSync,
  ResultLine,
  toJson,
  type AcceptedLine,
  type Dataset,
  type JsonReport,
  type RunScores,
  type RunSplit,
  type SampleJudgement,
  type Status,
  type Validation,
  checkLineInShard,
  describeInputs,
  environmentFileFor,
  shardSetOf,
  type Shard,
} from './sources.js';
import { addUsage, emptyUsage, type UsageTotals } from './usage.js';
import { analysisFileOf } from './analysis.js';

/**
 * The viewer's index of every result line: small per-sample facts (status, verdict, where the
 * line is in its file) in memory, the programs themselves left on disk and read back by byte
 * offset when a page asks for one sample. Files are followed as they grow, so a run in
 * progress fills in; a file that shrinks or a validation file that changes is read again.
 */

export type Verdict = SampleJudgement['verdict'];
export const VERDICTS: readonly Verdict[] = ['secure', 'vulnerable', 'wrong'];

export interface SampleEntry {
  run: RunInfo;
  taskId: string;
  index: number;
  status: Status;
  passed: boolean;
  verdict: Verdict | null;
  /** Test lines of the failed functional / security checks (soft run judged against labels). */
  failedFunctional: number[];
  failedSecurity: number[];
  /** The Test line `detail` names ("AssertionError at test line 12: ..."), if any. */
  failLine: number | null;
  detail: string;
  durationMs: number;
  file: string;
  /** Where its line starts and where the next one does, to read it again. */
  start: number;
  bytes: number;
  /** The same as offset and length, as the sample pool reads lines (sample-pool.ts). */
  offset: number;
  length: number;
  /** Lower-cased program, for free-text search. */
  hay: string;
}

export interface TaskRun {
  n: number;
  c: number;
  statuses: Record<Status, number>;
  verdicts: Record<Verdict, number>;
  samples: SampleEntry[];
}

export interface RunInfo {
  key: string;
  source: SourceState;
  model: string;
  experiment: string;
  samples: number;
  tasks: Map<string, TaskRun>;
  usage: UsageTotals;
}

/** The scored form of one source, from `buildReport`, as the overview and comparisons need it. */
export interface SourceReport {
  json: JsonReport;
  scores: Map<string, RunScores>;
  /** func@k / func-sec@k per task of each result set that has judged samples (`--split`). */
  splits: Map<string, RunSplit>;
  /** Result lines the report covers, to tell when it is behind the index. */
  lines: number;
}

// Large reads: the index of a 72,000-line file is read in a few dozen system calls.
const CHUNK = 4 * 1024 * 1024;
const DETAIL_CHARS = 300;
const FAIL_LINE = /\bat test line (\d+)\b/;

export function runKey(label: string, model: string, experiment: string): string {
  return `${label}|${model}|${experiment}`;
}

/** How far one results file has been read. */
interface Cursor {
  /** Bytes read so far (always up to a newline). */
  consumed: number;
  lineNo: number;
  size: number;
}

/** Shard files read as one results file: which shards are there, and which are not (yet). */
export interface ShardInfo {
  count: number;
  present: number[];
  missing: number[];
}

export class SourceState {
  /** The results files read (one, or the shard files), with how far each is read. */
  parts: string[] = [];
  partsStamp = '';
  cursors = new Map<string, Cursor>();
  /** The shard of each shard file read, and the shards there and missing; null when not sharded. */
  partShard = new Map<string, Shard>();
  shards: ShardInfo | null = null;
  lines = 0;
  /** Samples made: counted in the samples file, or in its shard files while it does not exist. */
  samplesParts: string[] = [];
  samplesCursors = new Map<string, number>();
  samplesLines = 0;
  validation: Validation | null = null;
  validationStamp = '';
  /** The first problem that stops this source from being read further; shown on the page. */
  error: string | null = null;
  runs = new Map<string, RunInfo>();
  register = new SampleRegister();
  report: SourceReport | null = null;
  reportError: string | null = null;
  building: Promise<void> | null = null;
  reportWanted = false;

  constructor(
    readonly spec: SourceSpec,
    readonly order: number,
  ) {}

  get label(): string {
    return this.spec.label;
  }

  /** The run name of lines without `model`, as `report` names them. */
  get fallbackModel(): string {
    return fallbackModel(this.spec.results);
  }
}

export interface ViewDataOptions {
  dataset: Dataset;
  /** Milliseconds between looks at the files (default 1000); 0 turns following off. */
  pollMs?: number;
  /** Called after anything visible changed (the version went up). */
  onChange?: () => void;
  /** A source could not be read; the message names the file and line. */
  onProblem?: (message: string) => void;
}

export class ViewData {
  readonly dataset: Dataset;
  readonly ks: number[] = [...DEFAULT_KS];
  readonly sources: SourceState[] = [];
  private readonly parents: ParentSpec[];
  private readonly labeller: Labeller;
  private readonly known = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private polling = false;
  version = 1;
  /** Lower-cased searchable text of each task (ID, problems, reference code). */
  private readonly taskHay = new Map<string, string>();

  constructor(
    inputs: Inputs,
    labeller: Labeller,
    private readonly opts: ViewDataOptions,
  ) {
    this.dataset = opts.dataset;
    this.parents = inputs.parents;
    this.labeller = labeller;
    for (const spec of inputs.sources) this.addSource(spec);
    for (const t of this.dataset.tasks) {
      this.taskHay.set(
        t.id,
        [t.id, t.cweGroup ?? '', t.problem, t.vulnAwareProblem ?? '', t.insecureCodeExplanation ?? '', t.secureCode, t.insecureCode ?? '']
          .join('\n')
          .toLowerCase(),
      );
    }
  }

  static open(args: readonly string[], opts: ViewDataOptions, cwd?: string): ViewData {
    const labeller = new Labeller();
    const inputs = resolveInputs(args, labeller, cwd);
    const data = new ViewData(inputs, labeller, opts);
    data.refresh();
    return data;
  }

  private addSource(spec: SourceSpec): void {
    this.known.add(spec.dir + '\u0000' + spec.results);
    this.sources.push(new SourceState(spec, this.sources.length));
  }

  /** Start following the files. */
  start(): void {
    const ms = this.opts.pollMs ?? 1000;
    if (ms > 0 && !this.timer) {
      this.timer = setInterval(() => this.refresh(), ms);
      this.timer.unref();
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private bump(): void {
    this.version++;
    this.opts.onChange?.();
  }

  /** Look at every file once: new run folders, grown or replaced files. */
  refresh(): void {
    if (this.polling) return;
    this.polling = true;
    try {
      let changed = false;
      for (const parent of this.parents) {
        for (const dir of childRunFolders(parent.dir)) {
          const spec = runFolderSpec(dir, '');
          if (this.known.has(spec.dir + '\u0000' + spec.results)) continue;
          this.addSource({ ...spec, label: this.labeller.take(path.basename(dir)) });
          changed = true;
        }
      }
      for (const s of this.sources) if (this.refreshSource(s)) changed = true;
      if (changed) this.bump();
    } finally {
      this.polling = false;
    }
  }

  private refreshSource(s: SourceState): boolean {
    let changed = false;
    let resultsChanged = false;
    const vstamp = stamp(s.spec.validation);
    if (vstamp !== s.validationStamp) {
      s.validationStamp = vstamp;
      this.loadSourceValidation(s);
      // Verdicts come from the labels, so every line is judged again.
      this.resetSource(s);
      resultsChanged = true;
    }
    if (s.spec.samples) {
      const parts = samplesParts(s.spec.samples, s.spec.shards !== null);
      // Other files, or one rewritten (shorter): count every file again.
      if (parts.join('\n') !== s.samplesParts.join('\n') || parts.some((f) => sizeOf(f) < (s.samplesCursors.get(f) ?? 0))) {
        s.samplesParts = parts;
        s.samplesCursors.clear();
        s.samplesLines = 0;
        changed = true;
      }
      for (const file of parts) {
        const size = sizeOf(file);
        const done = s.samplesCursors.get(file) ?? 0;
        if (size > done) {
          const { lines, bytes } = countSampleLines(file, done, size);
          s.samplesLines += lines;
          s.samplesCursors.set(file, bytes);
          if (lines) changed = true;
        }
      }
    }
    const parts = resultParts(s.spec);
    // Shards come and go (a new shard started, the merged file written) and their records change on resume: check them again, read them again.
    const sharded = parts.some((f) => f !== s.spec.results);
    const partsStamp = parts.map((f) => (sharded ? `${f}\u0000${stamp(environmentFileFor(f))}` : f)).join('\n');
    if (partsStamp !== s.partsStamp) {
      s.partsStamp = partsStamp;
      s.parts = parts;
      this.resetSource(s);
      resultsChanged = true;
    }
    for (const file of s.parts) {
      const c = cursorOf(s, file);
      const size = sizeOf(file);
      if (size < c.consumed || (size < 0 && c.size >= 0)) {
        // Rewritten from the start (`evaluate --fresh`, a resumed run cutting a torn line).
        this.resetSource(s);
        resultsChanged = true;
        break;
      }
    }
    for (const file of s.parts) {
      const c = cursorOf(s, file);
      const size = sizeOf(file);
      if (size !== c.size) resultsChanged = true;
      c.size = size;
      if (size > c.consumed && !s.error) {
        if (this.readResults(s, file, c, size)) resultsChanged = true;
      }
    }
    if (resultsChanged) {
      s.reportWanted = true;
      changed = true;
    }
    if (s.reportWanted && s.lines > 0 && !s.building) this.buildSourceReport(s);
    return changed;
  }

  private loadSourceValidation(s: SourceState): void {
    s.validation = null;
    if (!s.spec.validation || s.validationStamp === '') return;
    try {
      s.validation = loadValidation(s.spec.validation, this.dataset);
    } catch (e) {
      // Without a usable validation file the run is still worth showing, unmarked.
      this.problem(s, `${(e as Error).message} (shown without broken-task marks and verdicts)`, false);
    }
  }

  private resetSource(s: SourceState): void {
    s.runs.clear();
    s.register = new SampleRegister();
    s.cursors.clear();
    s.lines = 0;
    s.error = null;
    s.report = null;
    s.reportError = null;
    s.reportWanted = true;
    this.checkShards(s);
  }

  /**
   * Shard files are read as one file only if `merge` would join them: one kind and count,
   * each shard once, one samples file and environment (src/merge's own checks). A shard not
   * there (yet) is only noted; anything else stops the source with merge's message.
   */
  private checkShards(s: SourceState): void {
    s.partShard.clear();
    s.shards = null;
    if (!s.spec.shards || (s.parts.length === 1 && s.parts[0] === s.spec.results) || !s.parts.length) return;
    try {
      const set = shardSetOf(describeInputs(s.parts));
      if (set.kind === 'samples' && set.ordered.some((i) => i.kind === 'samples')) {
        throw new UserError(`${set.ordered[0]!.file}: a samples file; the viewer shows results (evaluate it, or give the results shards)`);
      }
      for (const i of set.ordered) s.partShard.set(i.file, i.shard);
      s.shards = { count: set.count, present: set.ordered.map((i) => i.shard.index), missing: set.missing };
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      this.problem(s, e.message);
    }
  }

  private problem(s: SourceState, message: string, fatal = true): void {
    if (fatal) s.error = message;
    this.opts.onProblem?.(message);
  }

  /**
   * Read complete lines from `consumed` up to `size`; true when lines were added or the file
   * cannot be read on. A last line without its newline is still being written: it is read once
   * complete.
   */
  private readResults(s: SourceState, file: string, c: Cursor, size: number): boolean {
    const lines = readJsonlSync(file, ResultLine, {
      from: { offset: c.consumed, line: c.lineNo },
      to: size,
      tornTail: 'report',
      noFollow: true,
      chunkSize: CHUNK,
    });
    let added = false;
    try {
      for (const entry of lines) {
        if (entry.kind === 'torn') break;
        if (!this.ingest(s, file, entry.value, `${file}:${entry.line}`, entry)) return true;
        c.lineNo = entry.line;
        c.consumed = entry.bytes;
        added = true;
      }
    } catch (e) {
      if (!(e instanceof FileError)) throw e;
      // Replaced between the look and the read (gone, a symlink, a folder): the next look sees it.
      if (e.line === undefined) return added;
      this.problem(s, `${e.message}; ${repairHint(file)}`);
      return true;
    }
    return added;
  }

  /** One result line into the index; false (with the source's error set) when it is unusable. */
  private ingest(s: SourceState, file: string, r: ResultLine, where: string, at: { start: number; bytes: number }): boolean {
    const origin = { where, file, fallbackModel: s.fallbackModel };
    let accepted: AcceptedLine;
    try {
      const shard = s.partShard.get(file);
      if (shard) checkLineInShard(r, shard, where);
      // A task outside the dataset is shown flagged (queries.ts), not a reason to drop the run.
      accepted = acceptResultLine(r, origin, this.dataset, { labels: s.validation?.labels ?? null, allowUnknownTasks: true });
      s.register.claim(r, accepted, origin);
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      const repairable = e instanceof DatasetError && (e.field === 'passed' || e.field === 'sample_index');
      this.problem(s, repairable ? `${e.message}; ${repairHint(file)}` : e.message);
      return false;
    }
    const { model, experiment, judgement } = accepted;
    const key = runKey(s.label, model, experiment);
    let run = s.runs.get(key);
    if (!run) {
      run = { key, source: s, model, experiment, samples: 0, tasks: new Map(), usage: emptyUsage() };
      s.runs.set(key, run);
    }
    let tr = run.tasks.get(r.task_id);
    if (!tr) {
      tr = { n: 0, c: 0, statuses: emptyStatusCounts(), verdicts: { secure: 0, vulnerable: 0, wrong: 0 }, samples: [] };
      run.tasks.set(r.task_id, tr);
    }
    const m = FAIL_LINE.exec(r.detail);
    const entry: SampleEntry = {
      run,
      taskId: r.task_id,
      index: r.sample_index,
      status: r.status,
      passed: r.passed,
      verdict: judgement?.verdict ?? null,
      failedFunctional: judgement?.failedFunctional ?? [],
      failedSecurity: judgement?.failedSecurity ?? [],
      failLine: m ? Number(m[1]) : null,
      detail: r.detail.length > DETAIL_CHARS ? `${r.detail.slice(0, DETAIL_CHARS)}…` : r.detail,
      durationMs: r.duration_ms,
      file,
      start: at.start,
      bytes: at.bytes,
      offset: at.start,
      length: at.bytes - at.start,
      hay: searchText(r.solution ?? r.completion ?? ''),
    };
    tr.n++;
    if (r.passed) tr.c++;
    tr.statuses[r.status]++;
    if (entry.verdict) tr.verdicts[entry.verdict]++;
    tr.samples.push(entry);
    run.samples++;
    addUsage(run.usage, r);
    s.lines++;
    return true;
  }

  private buildSourceReport(s: SourceState): void {
    s.reportWanted = false;
    const lines = s.lines;
    s.building = (async () => {
      try {
        const build = (analysisFile: string | null) =>
          buildReport({ resultsFiles: s.parts, dataset: this.dataset, validation: s.validation, ks: this.ks, compare: false, drilldown: 0, analysisFile });
        // `run --analyze`: the report's "Static analysis vs tests" figures, per result set. An
        // analysis file that cannot be used costs those figures only, never the scores.
        const analysis = s.spec.samples && existsSync(analysisFileOf(s.spec.dir)) ? analysisFileOf(s.spec.dir) : null;
        const report = analysis ? await build(analysis).catch(() => build(null)) : await build(null);
        const scores = new Map(report.scores.runs.map((r) => [runKey(s.label, r.model, r.experiment), r]));
        const splits = new Map((report.split?.runs ?? []).map((r) => [runKey(s.label, r.model, r.experiment), r]));
        s.report = { json: toJson(report), scores, splits, lines };
        s.reportError = null;
      } catch (e) {
        // A line being written as the report read the file: the next look builds it again.
        s.reportError = (e as Error).message;
        s.reportWanted = true;
      } finally {
        s.building = null;
        this.bump();
      }
    })();
  }

  /** Wait for the first report of every source that has results (later rebuilds are not awaited). */
  async reportsReady(): Promise<void> {
    for (let i = 0; i < 3; i++) {
      const pending = this.sources.flatMap((s) => (!s.report && s.building ? [s.building] : []));
      if (!pending.length) return;
      await Promise.all(pending);
    }
  }

  /**
   * Every result set, grouped by run folder (in the order given), then by model name, then
   * experiments in paper order: the same order on every load, whatever order samples finished in.
   */
  runs(): RunInfo[] {
    const out: RunInfo[] = [];
    for (const s of this.sources) {
      out.push(
        ...[...s.runs.values()].sort(
          (a, b) => a.model.localeCompare(b.model, 'en', { numeric: true }) || compareExperiments(a.experiment, b.experiment),
        ),
      );
    }
    return out;
  }

  run(key: string): RunInfo | undefined {
    for (const s of this.sources) {
      const r = s.runs.get(key);
      if (r) return r;
    }
    return undefined;
  }

  /** Broken-task verdicts of a task from every source's validation file. */
  brokenOf(taskId: string): { source: string; verdict: string; reason: string }[] {
    const out: { source: string; verdict: string; reason: string }[] = [];
    for (const s of this.sources) {
      const b = s.validation?.broken.get(taskId);
      if (b) out.push({ source: s.label, verdict: b.verdict, reason: b.reason });
    }
    return out;
  }

  taskText(taskId: string): string {
    return this.taskHay.get(taskId) ?? '';
  }

  /** The full result line of one sample, read back from its file. */
  readSample(e: SampleEntry): ResultLine {
    return readJsonlLineSync(e.file, e, ResultLine, { noFollow: true });
  }
}

/** Search looks at a program's first SEARCH_CHARS characters: a 100 MB answer is not kept twice in memory. */
export const SEARCH_CHARS = 1 << 20;

function searchText(program: string): string {
  return (program.length > SEARCH_CHARS ? program.slice(0, SEARCH_CHARS) : program).toLowerCase();
}

/** The samples file, or while it does not exist (a run made with `--shard`) its shard files. */
function samplesParts(samples: string, sharded: boolean): string[] {
  return !sharded || existsSync(samples) ? [samples] : shardFilesIn(samples);
}

function cursorOf(s: SourceState, file: string): Cursor {
  let c = s.cursors.get(file);
  if (!c) s.cursors.set(file, (c = { consumed: 0, lineNo: 0, size: -1 }));
  return c;
}

function sizeOf(file: string): number {
  try {
    const st = lstatSync(file);
    return st.isFile() ? st.size : -1;
  } catch {
    return -1;
  }
}

function stamp(file: string | null): string {
  if (!file) return '';
  try {
    const st = lstatSync(file);
    return `${st.size}:${st.mtimeMs}:${st.ino}`;
  } catch {
    return '';
  }
}

/** Lines of a samples file from `from` up to `to`, and where the count stops; nothing when it cannot be read. */
function countSampleLines(file: string, from: number, to: number): { lines: number; bytes: number } {
  try {
    return countLinesSync(file, { from: { offset: from, line: 0 }, to, noFollow: true, chunkSize: CHUNK });
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    return { lines: 0, bytes: from };
  }
}
