import { UserError } from '../core/errors.js';
import { ResultLine } from '../core/result.js';
import { sampleKey } from '../core/sample.js';
import type { Dataset } from '../core/task.js';
import { readJsonl } from '../io/jsonl.js';
import { judgeSample, LabelMismatchError } from '../score/judge.js';
import { taskGroups } from '../score/groups.js';
import { canSplit, type TaskLabels } from '../score/labels.js';
import { fallbackModel, UNKNOWN_EXPERIMENT } from '../score/tally.js';
import {
  agreementByGroup,
  ANY_FINDING,
  emptyExcluded,
  flagsTaskCwe,
  isFlagged,
  referenceRows,
  type Excluded,
  type FlagThreshold,
  type JudgedPair,
  type ReferenceCall,
  type ReferenceItem,
  type RunAgreement,
  type StaticAnalysisSummary,
} from '../score/static-agreement.js';
import { readAnalysisFile, sha256, type ReferenceAnalysis } from './format.js';

export interface SummarizeOptions {
  analysisFile: string;
  /** The results files the report scores: the execution side. */
  resultsFiles: readonly string[];
  dataset: Dataset;
  /** Assert labels (validation --labels): runs with soft outcomes are judged secure/vulnerable. */
  labels?: ReadonlyMap<string, TaskLabels> | null;
  threshold?: FlagThreshold;
}

/** One result line, reduced to what the comparison needs. */
interface Sample {
  taskId: string;
  /** The analyzer's call; a string says why the sample is left out. */
  call: boolean | keyof Excluded;
  passed: boolean;
  hasSoft: boolean;
  /** Split verdict when the task's labels can tell; null when they cannot. */
  verdict: 'secure' | 'vulnerable' | 'wrong' | null;
}

interface RunAcc {
  model: string;
  experiment: string;
  samples: Sample[];
  soft: boolean;
}

/**
 * Join an analysis file to the results files a report scores and compute the "Static
 * analysis vs tests" section: per run the agreement of the analyzer with execution, and on
 * the dataset the analyzer's flag rates on Insecure and Secure Code.
 */
export async function summarizeAnalysis(opts: SummarizeOptions): Promise<StaticAnalysisSummary> {
  const analysis = await readAnalysisFile(opts.analysisFile);
  const threshold = opts.threshold ?? ANY_FINDING;
  const labels = opts.labels ?? null;
  const { dataset } = opts;
  const runs = new Map<string, RunAcc>();
  const used = new Set<string>();

  for (const file of opts.resultsFiles) {
    const defaultModel = fallbackModel(file);
    for await (const { line, value: r } of readJsonl(file, ResultLine)) {
      const task = dataset.byId.get(r.task_id);
      if (!task) throw new UserError(`${file}:${line}: task_id "${r.task_id}" is not in the dataset ${dataset.source}`);
      const model = r.model ?? defaultModel;
      const experiment = r.experiment ?? UNKNOWN_EXPERIMENT;
      const runKey = `${model}\u0000${experiment}`;
      let run = runs.get(runKey);
      if (!run) runs.set(runKey, (run = { model, experiment, samples: [], soft: false }));
      const key = sampleKey(r.task_id, experiment, model, r.sample_index);
      const a = analysis.samples.get(key);
      let call: Sample['call'];
      if (!a) call = 'notAnalysed';
      else {
        used.add(key);
        const program = r.solution ?? task.problem + (r.completion ?? '');
        if (sha256(program) !== a.program_sha256) call = 'programChanged';
        else if (a.empty) call = 'empty';
        else if (a.error !== null) call = 'unreadable';
        else call = isFlagged(a.findings, threshold);
      }
      const hasSoft = r.soft !== undefined;
      if (hasSoft) run.soft = true;
      let verdict: Sample['verdict'] = null;
      const lab = labels?.get(r.task_id);
      if (lab && canSplit(lab)) {
        try {
          verdict = judgeSample(r.soft ?? undefined, lab)?.verdict ?? null;
        } catch (e) {
          if (e instanceof LabelMismatchError) throw new UserError(`${file}:${line}: ${r.task_id}: ${e.message}`);
          throw e;
        }
      }
      run.samples.push({ taskId: r.task_id, call, passed: r.passed, hasSoft, verdict });
    }
  }

  const groups = taskGroups(dataset);
  const subsetGroups = groups.subsets.map((g) => ({ label: g.label, ids: g.ids }));
  const cweGroups = groups.cwes.map((g) => ({ label: g.label, ids: g.ids }));
  const agreements: RunAgreement[] = [];
  for (const run of runs.values()) {
    // The split needs both labels and soft outcomes; a run without them is compared on pass/fail.
    const basis = labels && run.soft ? 'split' : 'pass-fail';
    const excluded = emptyExcluded();
    const pairs: JudgedPair[] = [];
    for (const s of run.samples) {
      if (typeof s.call === 'string') {
        excluded[s.call]++;
        continue;
      }
      if (basis === 'pass-fail') {
        pairs.push({ taskId: s.taskId, flagged: s.call, positive: !s.passed });
        continue;
      }
      if (s.verdict === null) excluded.unsplittable++;
      else if (s.verdict === 'wrong') excluded.wrong++;
      else pairs.push({ taskId: s.taskId, flagged: s.call, positive: s.verdict === 'vulnerable' });
    }
    agreements.push({
      model: run.model,
      experiment: run.experiment,
      basis,
      samples: run.samples.length,
      excluded,
      subsets: agreementByGroup(pairs, subsetGroups),
      cwes: agreementByGroup(pairs, cweGroups),
    });
  }

  let references: StaticAnalysisSummary['references'] = null;
  if (analysis.references.size) {
    let unreadable = 0;
    const call = (task: { id: string; cwes: string[] }, code: string | null, a: ReferenceAnalysis | undefined): ReferenceCall | null => {
      if (!a || code === null) return null;
      if (sha256(code) !== a.program_sha256) {
        throw new UserError(
          `${analysis.file}: the ${a.reference} reference of ${task.id} was analysed from another version of the dataset than ${dataset.source}; run \`codeseceval analyze\` again`,
        );
      }
      if (a.empty) return null;
      if (a.error !== null) {
        unreadable++;
        return null;
      }
      return { flagged: isFlagged(a.findings, threshold), matching: flagsTaskCwe(a.findings, task.cwes, threshold) };
    };
    const items: ReferenceItem[] = [];
    for (const id of analysis.references.keys()) {
      if (!dataset.byId.has(id)) throw new UserError(`${analysis.file}: reference of task ${id}, which is not in the dataset ${dataset.source}`);
    }
    for (const t of dataset.tasks) {
      const refs = analysis.references.get(t.id);
      if (!refs) continue;
      items.push({ taskId: t.id, secure: call(t, t.secureCode, refs.secure), insecure: call(t, t.insecureCode, refs.insecure) });
    }
    references = { subsets: referenceRows(items, subsetGroups), cwes: referenceRows(items, cweGroups), unreadable };
  }

  return {
    file: analysis.file,
    analyzer: analysis.header.analyzer,
    analyzerVersion: analysis.header.analyzer_version,
    ruleTable: analysis.header.rule_table,
    threshold,
    references,
    runs: agreements,
    unmatchedAnalyses: analysis.samples.size - used.size,
  };
}
