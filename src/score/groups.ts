import { hasNumberedSteps } from '../text/steps.js';
import type { Dataset } from '../core/task.js';
import { findBenchmark } from '../benchmarks/index.js';

export interface TaskGroup {
  label: string;
  /** Task IDs in dataset order. */
  ids: string[];
}

/** The ways a report slices the dataset's tasks; computed once per dataset. */
export interface TaskGroups {
  /**
   * Overall first ("CodeSecEval": Base + Plus), then each subset when there are several; for
   * a run over several benchmarks, "Pooled" then each benchmark.
   */
  subsets: TaskGroup[];
  /** One group per CWE key, in CWE-number order. */
  cwes: TaskGroup[];
  /** Split of tasks by whether their vulnerability-aware problem has numbered steps. */
  steps: { with: TaskGroup; without: TaskGroup } | null;
}

export const STEPS_WITH = 'with steps';
export const STEPS_WITHOUT = 'without steps';

/** Numeric sort key of a CWE group: the first CWE's number ("CWE-862/CWE-287/..." → 862). */
function cweNumber(key: string): number {
  const m = /^CWE-(\d+)/.exec(key);
  return m ? Number(m[1]) : Number.MAX_SAFE_INTEGER;
}

/** Heads the overall group of a run over several benchmarks: every task, each weighing the same. */
export const POOLED_LABEL = 'Pooled';

/** The benchmark's own name ("CodeSecEval", "SALLM"); a dataset of no registered kind is headed by its kind. */
export function overallLabel(dataset: Dataset): string {
  if (dataset.parts && dataset.parts.length > 1) return POOLED_LABEL;
  return findBenchmark(dataset.kind)?.label ?? dataset.kind;
}

export function taskGroups(dataset: Dataset): TaskGroups {
  const all = dataset.tasks.map((t) => t.id);
  const bySubset = new Map<string, string[]>();
  const byCwe = new Map<string, string[]>();
  const withSteps: string[] = [];
  const withoutSteps: string[] = [];
  let anyVulnAware = false;
  for (const t of dataset.tasks) {
    push(bySubset, t.subset, t.id);
    // cweGroup is already normalised by the loader: "CWE-020" and "CWE-20" share a key, and
    // whole numbers are compared, so CWE-20 and CWE-200 stay apart.
    if (t.cweGroup) push(byCwe, t.cweGroup, t.id);
    if (t.vulnAwareProblem !== null) {
      anyVulnAware = true;
      (hasNumberedSteps(t.vulnAwareProblem) ? withSteps : withoutSteps).push(t.id);
    }
  }
  const subsets: TaskGroup[] = [{ label: overallLabel(dataset), ids: all }];
  // Several benchmarks: one group each after the pooled one (their subsets would make the
  // tables too wide to read; each benchmark's own run shows them).
  if (dataset.parts && dataset.parts.length > 1) for (const p of dataset.parts) subsets.push({ label: overallLabel(p), ids: p.tasks.map((t) => t.id) });
  else if (bySubset.size > 1) for (const [label, ids] of bySubset) subsets.push({ label, ids });
  const cwes = [...byCwe]
    .map(([label, ids]) => ({ label, ids }))
    .sort((a, b) => cweNumber(a.label) - cweNumber(b.label) || (a.label < b.label ? -1 : 1));
  return {
    subsets,
    cwes,
    steps: anyVulnAware
      ? { with: { label: STEPS_WITH, ids: withSteps }, without: { label: STEPS_WITHOUT, ids: withoutSteps } }
      : null,
  };
}

function push(map: Map<string, string[]>, key: string, id: string): void {
  const list = map.get(key);
  if (list) list.push(id);
  else map.set(key, [id]);
}

