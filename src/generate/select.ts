import { normaliseCwe } from '../util/cwe.js';
import { UserError } from '../core/errors.js';
import { BENCHMARKS, resolveSubset } from '../benchmarks/index.js';
import type { Dataset, Subset, Task } from '../core/task.js';

/** `--subset`: a subset of a registered benchmark, by its name or an alias (`base`, `plus`). */
export function parseSubset(value: string): Subset {
  const hit = resolveSubset(value);
  if (!hit) {
    const names = BENCHMARKS.flatMap((b) => [...Object.keys(b.subsetAliases), ...b.subsets]);
    throw new UserError(`--subset: unknown subset "${value}" (one of ${names.join(', ')})`);
  }
  return hit.subset;
}

/**
 * The tasks to run, in dataset order. `filters` are task IDs or CWE identifiers; a task is
 * kept when any filter names it. CWE-079 and CWE-79 are the same weakness.
 */
export function selectTasks(dataset: Dataset, filters?: string[], subset?: Subset): Task[] {
  let tasks = subset ? dataset.tasks.filter((t) => t.subset === subset) : dataset.tasks;
  if (subset && !tasks.length) throw new UserError(`--subset: the dataset at ${dataset.source} has no ${subset} tasks`);
  if (filters?.length) {
    const ids = new Set<string>();
    const cwes = new Set<string>();
    for (const raw of filters) {
      const f = raw.trim();
      if (!f) continue;
      if (dataset.byId.has(f)) ids.add(f);
      else if (/^CWE-\d+$/i.test(f)) cwes.add(normaliseCwe(f.toUpperCase()));
      else throw new UserError(`--tasks: "${f}" is neither a task ID of the dataset nor a CWE identifier like CWE-79`);
    }
    for (const c of cwes) {
      if (!dataset.tasks.some((t) => t.cwes.includes(c))) throw new UserError(`--tasks: no task of the dataset is about ${c}`);
    }
    tasks = tasks.filter((t) => ids.has(t.id) || t.cwes.some((c) => cwes.has(c)));
  }
  if (!tasks.length) throw new UserError('no task matches --tasks and --subset together');
  return tasks;
}

/** `--tasks` splits on commas; IDs hold slashes but never commas. */
export function parseTaskFilters(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}
