import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Dataset, Task } from '../dataset/types.js';
import { firstIssue } from '../dataset/schema.js';
import { SampleLine } from '../evaluate/records.js';
import { UserError } from '../util/errors.js';
import type { CompletionRequest, CompletionResult, ModelProvider } from './provider.js';
import { ProviderError } from './provider.js';

interface ReplayEntry {
  line: number;
  solution?: string;
  completion?: string;
}

/**
 * Samples produced elsewhere, in the EvalPlus style: one JSON object a line with `task_id`
 * and either `solution` (a whole program) or `completion` (text that continues the task's
 * Problem). A task's k-th line in the file is its sample k. Answers are used verbatim, so
 * other tools' outputs are scored as they made them.
 */
export class ReplayProvider implements ModelProvider {
  readonly style = 'program' as const;
  readonly cacheIdentity = null;
  private readonly byTask = new Map<string, ReplayEntry[]>();

  constructor(
    readonly spec: string,
    private readonly file: string,
    dataset: Dataset,
  ) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new UserError(`--model ${spec}: cannot read ${file}: ${(e as Error).message}`);
    }
    text.split('\n').forEach((raw, i) => {
      if (!raw.trim()) return;
      const where = `${file}:${i + 1}`;
      let json: unknown;
      try {
        json = JSON.parse(raw);
      } catch (e) {
        throw new UserError(`${where}: invalid JSON: ${(e as Error).message}`);
      }
      const parsed = SampleLine.safeParse(json);
      if (!parsed.success) {
        const { field, message } = firstIssue(parsed.error);
        throw new UserError(`${where}: field "${field}": ${message}`);
      }
      const s = parsed.data;
      if (!dataset.byId.has(s.task_id)) throw new UserError(`${where}: task_id "${s.task_id}" is not in the dataset`);
      const entry: ReplayEntry = { line: i + 1 };
      if (s.solution !== undefined) entry.solution = s.solution;
      else if (s.completion !== undefined) entry.completion = s.completion;
      const list = this.byTask.get(s.task_id) ?? [];
      list.push(entry);
      this.byTask.set(s.task_id, list);
    });
    if (!this.byTask.size) throw new UserError(`--model ${spec}: ${file} holds no samples`);
  }

  /** How many samples the file holds for a task (0 when none). */
  samplesFor(taskId: string): number {
    return this.byTask.get(taskId)?.length ?? 0;
  }

  async complete(req: CompletionRequest): Promise<CompletionResult> {
    const list = this.byTask.get(req.task.id) ?? [];
    const entry = list[req.sampleIndex];
    if (!entry) {
      throw new ProviderError(
        `${path.basename(this.file)} has ${list.length} sample(s) for ${req.task.id}, none with index ${req.sampleIndex}`,
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

  /** Tasks of `tasks` the file has samples for. */
  covered(tasks: Task[]): Task[] {
    return tasks.filter((t) => this.byTask.has(t.id));
  }
}
