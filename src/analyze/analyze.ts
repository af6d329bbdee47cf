import { requireAnalyzer, DEFAULT_ANALYZER } from '../analyzers/registry.js';
import type { Analyzer, ProgramAnalysis } from '../analyzers/types.js';
import { UserError } from '../core/errors.js';
import { ResultLine } from '../core/result.js';
import { sampleKey } from '../core/sample.js';
import { fallbackModel, UNKNOWN_EXPERIMENT } from '../score/tally.js';
import type { Dataset } from '../core/task.js';
import { writeFileAtomic } from '../io/write.js';
import { readJsonl } from '../io/jsonl.js';
import { checkInputFile, checkOutputFile } from '../io/paths.js';
import {
  ANALYSIS_FORMAT,
  ANALYSIS_VERSION,
  sha256,
  type AnalysisHeader,
  type ReferenceAnalysis,
  type ReferenceKind,
  type SampleAnalysis,
} from './format.js';

export interface AnalyzeRunOptions {
  /** Results files written by `evaluate` (several may hold parts of one run); none for references only. */
  resultsFiles: readonly string[];
  /** The analysis file to write; replaced only once it is complete. */
  out: string;
  /** The dataset the results belong to: completions are appended to its Problems. */
  dataset: Dataset;
  /** An analyzer name from the registry (default "bandit"), or an analyzer object. */
  analyzer?: string | Analyzer;
  /** Also analyse every task's Secure and Insecure Code (default true). */
  references?: boolean;
  /** Called after each analysed batch with programs done and the total. */
  onProgress?: (done: number, total: number) => void;
}

export interface AnalyzeRunSummary {
  out: string;
  analyzer: string;
  analyzerVersion: string;
  ruleTable: string;
  samples: number;
  references: number;
  /** Programs the analyzer could not read (syntax errors...). */
  errors: number;
  /** Programs with at least one finding. */
  flagged: number;
  /** Blank programs, written without asking the analyzer. */
  empty: number;
}

/** Results lines are read twice: once to check them all, once to analyse in batches. */
interface PendingSample {
  model: string;
  experiment: string;
  taskId: string;
  sampleIndex: number;
  program: string;
}

/** Programs per call to the analyzer: enough for its own batching to keep every job busy. */
const CHUNK = 800;

async function* samplesOf(files: readonly string[], dataset: Dataset): AsyncGenerator<PendingSample> {
  for (const file of files) {
    for await (const { line, value: r } of readJsonl(file, ResultLine)) {
      const task = dataset.byId.get(r.task_id);
      if (!task) throw new UserError(`${file}:${line}: task_id "${r.task_id}" is not in the dataset ${dataset.source}`);
      yield {
        model: r.model ?? fallbackModel(file),
        experiment: r.experiment ?? UNKNOWN_EXPERIMENT,
        taskId: r.task_id,
        sampleIndex: r.sample_index,
        // What evaluate ran: the solution, else the Problem with the completion appended.
        program: r.solution ?? task.problem + (r.completion ?? ''),
      };
    }
  }
}

/** Refuse a results set the report would refuse, before any analysis time is spent. */
async function checkResults(files: readonly string[], dataset: Dataset): Promise<number> {
  const seen = new Map<string, string>();
  let n = 0;
  for (const file of files) {
    for await (const { line, value: r } of readJsonl(file, ResultLine)) {
      if (!dataset.byId.has(r.task_id)) throw new UserError(`${file}:${line}: task_id "${r.task_id}" is not in the dataset ${dataset.source}`);
      const model = r.model ?? fallbackModel(file);
      const experiment = r.experiment ?? UNKNOWN_EXPERIMENT;
      const key = sampleKey(r.task_id, experiment, model, r.sample_index);
      const first = seen.get(key);
      if (first) {
        throw new UserError(`${file}:${line}: duplicate sample ${r.sample_index} of ${model} / ${experiment} / ${r.task_id} (first at ${first})`);
      }
      seen.set(key, `${file}:${line}`);
      n++;
    }
  }
  return n;
}

/**
 * The analyze stage: findings for every sample of the results files and, unless turned off,
 * for both references of every task, written as an analysis file (see format.ts) by a
 * temporary file and a rename. Nothing is executed.
 */
export async function analyzeRun(opts: AnalyzeRunOptions): Promise<AnalyzeRunSummary> {
  const withReferences = opts.references ?? true;
  if (!opts.resultsFiles.length && !withReferences) throw new UserError('nothing to analyse: no results file given and references turned off');
  for (const f of opts.resultsFiles) checkInputFile(f, '--results');
  const target = checkOutputFile(opts.out, { flag: '--out', createFolder: true, inputs: opts.resultsFiles.map((file) => ({ flag: '--results', file })) });
  const analyzer = typeof opts.analyzer === 'object' ? opts.analyzer : await requireAnalyzer(opts.analyzer ?? DEFAULT_ANALYZER);
  if (typeof opts.analyzer === 'object') {
    const ok = await analyzer.available();
    if (!ok.ok) throw new UserError(`analyzer ${analyzer.name} cannot run: ${ok.why}`);
  }
  const version = await analyzer.version();
  const sampleCount = await checkResults(opts.resultsFiles, opts.dataset);
  const refTasks = withReferences ? opts.dataset.tasks : [];
  const total = sampleCount + refTasks.reduce((s, t) => s + (t.secureCode ? 1 : 0) + (t.insecureCode !== null ? 1 : 0), 0);

  const summary: AnalyzeRunSummary = {
    out: opts.out,
    analyzer: analyzer.name,
    analyzerVersion: version,
    ruleTable: analyzer.ruleTable,
    samples: 0,
    references: 0,
    errors: 0,
    flagged: 0,
    empty: 0,
  };
  // Written through the project's atomic writer: an earlier analysis file stays as it was
  // until the new one is complete.
  const lines = async function* (): AsyncGenerator<string> {
    const header: AnalysisHeader = {
      kind: 'header',
      format: ANALYSIS_FORMAT,
      version: ANALYSIS_VERSION,
      analyzer: analyzer.name,
      analyzer_version: version,
      rule_table: analyzer.ruleTable,
      results: [...opts.resultsFiles],
      dataset: withReferences ? opts.dataset.source : null,
      created_at: new Date().toISOString(),
    };
    yield `${JSON.stringify(header)}\n`;
    let done = 0;
    const analyse = async (programs: string[]): Promise<(ProgramAnalysis & { empty: boolean })[]> => {
      const blank = programs.map((p) => p.trim() === '');
      const got = await analyzer.analyzePrograms(programs.filter((_, i) => !blank[i]));
      if (got.length !== programs.length - blank.filter(Boolean).length) {
        throw new Error(`analyzer ${analyzer.name} answered ${got.length} programs for ${programs.length}`);
      }
      let j = 0;
      const out = programs.map((_, i) => (blank[i] ? { findings: [], error: null, empty: true } : { ...got[j++]!, empty: false }));
      for (const a of out) {
        if (a.error !== null) summary.errors++;
        else if (a.findings.length) summary.flagged++;
        if (a.empty) summary.empty++;
      }
      done += programs.length;
      opts.onProgress?.(done, total);
      return out;
    };

    const sampleLines = async (batch: PendingSample[]): Promise<string> => {
      const got = await analyse(batch.map((p) => p.program));
      summary.samples += batch.length;
      return batch
        .map((p, i) => {
          const a = got[i]!;
          const line: SampleAnalysis = {
            kind: 'sample',
            model: p.model,
            experiment: p.experiment,
            task_id: p.taskId,
            sample_index: p.sampleIndex,
            program_sha256: sha256(p.program),
            empty: a.empty,
            error: a.error,
            findings: a.findings,
          };
          return `${JSON.stringify(line)}\n`;
        })
        .join('');
    };
    let pending: PendingSample[] = [];
    for await (const s of samplesOf(opts.resultsFiles, opts.dataset)) {
      pending.push(s);
      if (pending.length >= CHUNK) {
        yield await sampleLines(pending);
        pending = [];
      }
    }
    if (pending.length) yield await sampleLines(pending);

    const refs: { taskId: string; kind: ReferenceKind; program: string }[] = [];
    for (const t of refTasks) {
      // SALLM has no secure reference (loaded as ''): nothing to analyze.
      if (t.secureCode) refs.push({ taskId: t.id, kind: 'secure', program: t.secureCode });
      if (t.insecureCode !== null) refs.push({ taskId: t.id, kind: 'insecure', program: t.insecureCode });
    }
    for (let i = 0; i < refs.length; i += CHUNK) {
      const part = refs.slice(i, i + CHUNK);
      const got = await analyse(part.map((r) => r.program));
      summary.references += part.length;
      yield part
        .map((r, j) => {
          const a = got[j]!;
          const line: ReferenceAnalysis = {
            kind: 'reference',
            task_id: r.taskId,
            reference: r.kind,
            program_sha256: sha256(r.program),
            empty: a.empty,
            error: a.error,
            findings: a.findings,
          };
          return `${JSON.stringify(line)}\n`;
        })
        .join('');
    }
  };
  await writeFileAtomic(target, lines());
  return summary;
}
