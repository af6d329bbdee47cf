import path from 'node:path';
import { UserError } from '../core/errors.js';
import { type CompletionRequest, type CompletionResult, type ModelProvider, ProviderError } from '../core/model.js';
import { SampleLine } from '../core/sample.js';
import type { Dataset, Task } from '../core/task.js';
import { readJsonlSync } from '../io/jsonl.js';
import { compareExperiments, isExperiment } from '../core/experiments.js';

interface ReplayEntry {
  line: number;
  solution?: string;
  completion?: string;
}

/** Lines without an `experiment` field are filed under this key: any experiment the user names. */
const UNTAGGED = '';

/** Experiment names carried by a replay file's lines (empty when none carries one), sorted. */
export function replayFileExperiments(file: string): string[] {
  const found = new Set<string>();
  try {
    for (const { value } of readJsonlSync(file, SampleLine)) if (value.experiment) found.add(value.experiment);
  } catch {
    // An unreadable file or line is reported, with its number, when the provider reads it.
  }
  return [...found].sort(compareExperiments);
}

/**
 * Samples produced elsewhere, in the EvalPlus style: one JSON object a line with `task_id`
 * and either `solution` (a whole program) or `completion` (text that continues the task's
 * Problem, assembled prompt + completion as HumanEval does). Answers are used verbatim, so
 * other tools' outputs are scored as they made them.
 *
 * Lines may carry `experiment`: then each line answers that experiment only, and every line
 * must carry one (a file that mixes tagged and untagged lines is ambiguous). Untagged lines
 * answer whichever experiment the user names. A task's k-th line (per experiment, when
 * tagged) is its sample k.
 */
export class ReplayProvider implements ModelProvider {
  readonly style = 'program' as const;
  readonly cacheIdentity = null;
  /** Keyed by experiment (UNTAGGED when lines carry none), then task. */
  private readonly entries = new Map<string, Map<string, ReplayEntry[]>>();
  /** The lines carry their experiment. */
  readonly tagged: boolean;

  constructor(
    readonly spec: string,
    readonly file: string,
    dataset: Dataset,
  ) {
    let firstTagged: number | null = null;
    let firstUntagged: number | null = null;
    for (const { line, value: s } of readJsonlSync(file, SampleLine)) {
      const where = `${file}:${line}`;
      const i = line - 1;
      if (!dataset.byId.has(s.task_id)) throw new UserError(`${where}: task_id: "${s.task_id}" is not in the dataset`);
      const experiment: string = typeof s.experiment === 'string' ? s.experiment : UNTAGGED;
      if (experiment !== UNTAGGED && !isExperiment(experiment)) {
        throw new UserError(`${where}: experiment: unknown experiment "${experiment}"`);
      }
      if (experiment === UNTAGGED) firstUntagged ??= i + 1;
      else firstTagged ??= i + 1;
      if (firstTagged !== null && firstUntagged !== null) {
        throw new UserError(
          `${file}:${Math.max(firstTagged, firstUntagged)}: some lines carry "experiment" and some do not (first without: line ${firstUntagged}); give every line one, or none`,
        );
      }
      const entry: ReplayEntry = { line: i + 1 };
      if (s.solution !== undefined) entry.solution = s.solution;
      else if (s.completion !== undefined) entry.completion = s.completion;
      const byTask = this.entries.get(experiment) ?? new Map<string, ReplayEntry[]>();
      this.entries.set(experiment, byTask);
      const list = byTask.get(s.task_id) ?? [];
      list.push(entry);
      byTask.set(s.task_id, list);
    }
    if (!this.entries.size) throw new UserError(`--model ${spec}: ${file} holds no samples`);
    this.tagged = firstTagged !== null;
  }

  /** The experiments the file's lines name, in report order; empty when lines carry none. */
  experiments(): string[] {
    return this.tagged ? [...this.entries.keys()].sort(compareExperiments) : [];
  }

  private byTask(experiment: string | undefined): Map<string, ReplayEntry[]> | undefined {
    return this.entries.get(this.tagged ? (experiment ?? UNTAGGED) : UNTAGGED);
  }

  /** How many samples the file holds for a task in an experiment (0 when none). */
  samplesFor(taskId: string, experiment?: string): number {
    return this.byTask(experiment)?.get(taskId)?.length ?? 0;
  }

  async complete(req: CompletionRequest): Promise<CompletionResult> {
    if (this.tagged && req.experiment === undefined) {
      throw new ProviderError(`${path.basename(this.file)}: its lines are per experiment, and the request named none`, true);
    }
    const list = this.byTask(req.experiment)?.get(req.task.id) ?? [];
    const entry = list[req.sampleIndex];
    if (!entry) {
      const which = this.tagged ? ` in ${req.experiment}` : '';
      throw new ProviderError(
        `${path.basename(this.file)} has ${list.length} sample(s) for ${req.task.id}${which}, none with index ${req.sampleIndex}`,
        false,
      );
    }
    if (entry.solution !== undefined) {
      const solution = entry.solution;
      return { text: solution, usage: null, latencyMs: 0, finishReason: null, program: { solution, method: 'replay:solution' } };
    }
    const completion = entry.completion ?? '';
    return {
      text: completion,
      usage: null,
      latencyMs: 0,
      finishReason: null,
      // What `evaluate` does with a completion, done here so every sample line carries a program.
      program: { solution: req.task.problem + completion, method: 'replay:completion' },
    };
  }

  /**
   * Tasks of `tasks` the file has samples for in any of `experiments`. A tagged file asked for
   * an experiment it has no line for is refused: a run would silently score nothing there.
   */
  covered(tasks: Task[], experiments?: readonly string[]): Task[] {
    if (this.tagged && experiments) {
      const missing = experiments.filter((e) => !this.entries.has(e));
      if (missing.length) {
        throw new UserError(
          `--model ${this.spec}: ${this.file} has no lines for experiment ${missing.join(', ')} (its lines are for ${this.experiments().join(', ')})`,
        );
      }
    }
    const keys = this.tagged ? (experiments ?? [...this.entries.keys()]) : [UNTAGGED];
    return tasks.filter((t) => keys.some((k) => this.entries.get(k)?.has(t.id)));
  }
}
