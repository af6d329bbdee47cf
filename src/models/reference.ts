import { BENCHMARKS } from '../benchmarks/index.js';
import { UserError } from '../core/errors.js';
import type { CompletionRequest, CompletionResult, ModelProvider } from '../core/model.js';
import type { Task } from '../core/task.js';

/**
 * Answers with the dataset's own Secure or Insecure Code: no network, no cost. Running the
 * pipeline with both shows the dataset's ceiling and floor.
 */
export class ReferenceProvider implements ModelProvider {
  readonly style = 'program' as const;
  readonly cacheIdentity = null;

  constructor(
    readonly spec: string,
    private readonly variant: 'secure' | 'insecure',
  ) {}

  checkTasks(tasks: Task[]): void {
    const lacking = tasks.find((t) => referenceOf(t, this.variant) === null);
    if (lacking) {
      const bench = BENCHMARKS.find((b) => b.subsets.includes(lacking.subset));
      throw new UserError(`--model ${this.spec}: ${bench ? `${bench.label} task` : 'task'} ${lacking.id} has no ${this.variant} reference program`);
    }
  }

  async complete(req: CompletionRequest): Promise<CompletionResult> {
    const code = referenceOf(req.task, this.variant);
    if (code === null) throw new UserError(`task ${req.task.id} has no ${this.variant} reference program`);
    return {
      text: code,
      usage: null,
      latencyMs: 0,
      finishReason: null,
      program: { solution: code, method: `reference:${this.variant}` },
    };
  }
}

/** A benchmark without a secure reference (SALLM) loads it as ''. */
function referenceOf(task: Task, variant: 'secure' | 'insecure'): string | null {
  const code = variant === 'secure' ? task.secureCode : task.insecureCode;
  return code ? code : null;
}
