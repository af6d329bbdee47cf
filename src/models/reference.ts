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
    if (this.variant !== 'insecure') return;
    const lacking = tasks.find((t) => t.insecureCode === null);
    if (lacking) throw new UserError(`--model ${this.spec}: task ${lacking.id} has no Insecure Code (only CodeSecEval tasks do)`);
  }

  async complete(req: CompletionRequest): Promise<CompletionResult> {
    const code = this.variant === 'secure' ? req.task.secureCode : req.task.insecureCode;
    if (code === null) throw new UserError(`task ${req.task.id} has no Insecure Code`);
    return {
      text: code,
      usage: null,
      latencyMs: 0,
      finishReason: null,
      program: { solution: code, method: `reference:${this.variant}` },
    };
  }
}
