import { analyze } from '../analyzers/registry.js';
import { taskJob } from '../benchmarks/index.js';
import type { Executor } from '../core/exec.js';
import { isTruncatedFinish, type ModelStyle, type Prompt, type SamplingParams } from '../core/model.js';
import type { Answer, ExperimentContext } from '../experiments/index.js';
import { looksLikeCode } from '../prompts/template.js';
import { extractProgram } from '../text/extract.js';
import { type RunControl, Stopped } from './control.js';
import type { Job } from './plan.js';

export interface ContextSetup {
  style: ModelStyle;
  params: SamplingParams;
  soft: boolean;
  analyzer: string;
  executor: () => Executor | null;
  control: RunControl;
}

/** What a strategy may use while it makes one job's sample: every request goes through `ask`. */
export function contextFor(job: Job, ask: (prompt: Prompt, params: SamplingParams) => Promise<Answer>, s: ContextSetup): ExperimentContext {
  return {
    task: job.task,
    sampleIndex: job.sampleIndex,
    style: s.style,
    params: s.params,
    ask,
    program: (answer, prompt, problem) => {
      if (answer.program) return answer.program;
      if (s.style === 'program') return { solution: answer.text, method: 'verbatim' };
      return extractProgram(answer.text, {
        entryPoint: job.task.entryPoint,
        style: s.style === 'completion' ? 'completion' : 'chat',
        prompt: prompt.style === 'completion' ? prompt.text : undefined,
        context: looksLikeCode(problem, job.task.entryPoint) ? problem : null,
        truncated: isTruncatedFinish(answer.finishReason),
      });
    },
    soft: s.soft,
    execute: async (program, opts) => {
      const executor = s.executor();
      if (!executor) throw new Error(`experiment ${job.experiment} ran a program without asking for an executor`);
      if (s.control.stop.signal.aborted) throw new Stopped();
      const [r] = await executor.run([taskJob(job.task, program, opts?.soft ? { soft: true } : undefined)]);
      if (s.control.stop.signal.aborted) throw new Stopped();
      return r!;
    },
    analyze: (program) => analyze(program, s.analyzer),
  };
}
