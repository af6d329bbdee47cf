import { benchmarkForTask } from '../benchmarks/index.js';
import { UserError } from '../core/errors.js';
import type { Prompt, SamplingParams } from '../core/model.js';
import type { Task } from '../core/task.js';
import { loadTemplates } from '../prompts/load.js';
import { missingFields, renderPrompt, type Template, type TemplateStyle } from '../prompts/template.js';
import { scanLines, topLevelSegments } from '../text/python-text.js';
import type { ExperimentContext, ExperimentStrategy, PreparedExperiment, PrepareSetup, SampleDraft } from './types.js';

/** Stops for base models continuing a function: whatever follows the function is not needed. */
const COMPLETION_STOPS = ['\nif __name__', '\nprint(', '\nassert '];

/** True when a completion prompt ends inside the entry point's definition (a SecEvalBase Problem). */
function endsInsideEntry(text: string, entryPoint: string): boolean {
  const segs = topLevelSegments(scanLines(text));
  const last = segs[segs.length - 1];
  return last?.kind === 'def' && last.name === entryPoint;
}

/** "SALLM " for a SALLM task: which benchmark lacks the field. */
function benchmarkLabel(task: Task): string {
  try {
    return `${benchmarkForTask(task).label} `;
  } catch {
    return '';
  }
}

export function refuseMissingFields(experiment: string, template: Template, tasks: readonly Task[]): void {
  const lacking = tasks.map((t) => ({ t, missing: missingFields(template, t) })).filter((x) => x.missing.length);
  if (!lacking.length) return;
  const first = lacking[0]!;
  const more = lacking.length > 1 ? ` (and ${lacking.length - 1} more tasks)` : '';
  throw new UserError(
    `experiment ${experiment} (template ${template.name}) needs ${first.missing.join(', ')}, which ${benchmarkLabel(first.t)}task ${first.t.id} lacks${more}; choose other tasks or experiments`,
  );
}

function ownPromptsOf(task: Task): { name: string; dir: string } | undefined {
  try {
    const b = benchmarkForTask(task);
    return b.prompts ? { name: b.kind, dir: b.prompts } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The template of `experiment` for each task: its benchmark's own when it has one (SALLM's
 * prompts are sent the way SALLM sends them), else the shared one; a user's
 * --prompt-template wins over both. Tasks lacking a field the template needs are refused here.
 */
export function templatesFor(experiment: string, style: TemplateStyle, override: string | undefined, tasks: readonly Task[]): (task: Task) => Template {
  const shared = loadTemplates([experiment], style, override).get(experiment)!;
  const own = new Map<string, Template>();
  const groups = new Map<Template, Task[]>();
  const pick = (task: Task): Template => {
    const prompts = ownPromptsOf(task);
    if (!prompts) return shared;
    let t = own.get(prompts.name);
    if (!t) own.set(prompts.name, (t = loadTemplates([experiment], style, override, prompts).get(experiment)!));
    return t;
  };
  for (const task of tasks) {
    const t = pick(task);
    groups.set(t, [...(groups.get(t) ?? []), task]);
  }
  for (const [t, group] of groups) refuseMissingFields(experiment, t, group);
  return pick;
}

/** A prepared template: the first prompt of every task, with stops for completions that end inside the entry point. */
export function promptFor(template: Template, task: Task): { prompt: Prompt; template: string; stop?: string[] } {
  const prompt = renderPrompt(template, task);
  const stop = prompt.style === 'completion' && endsInsideEntry(prompt.text, task.entryPoint) ? COMPLETION_STOPS : undefined;
  return { prompt, template: template.name, ...(stop ? { stop } : {}) };
}

/**
 * One request, one program: the paper's experiments. They differ only in their template and
 * in which problem text gives the extractor its context (imports and helpers a chat answer
 * left out are taken from the task's own code when the problem is code).
 */
export function singleShot(name: string, problemOf: (task: Task) => string = (t) => t.problem): ExperimentStrategy {
  return {
    name,
    needs: { executor: false, analyzer: false },
    prepare(setup: PrepareSetup): PreparedExperiment {
      const templateOf = templatesFor(name, setup.style, setup.override, setup.tasks);
      return {
        firstPrompt: (task) => promptFor(templateOf(task), task),
        async run(ctx: ExperimentContext): Promise<SampleDraft> {
          const first = promptFor(templateOf(ctx.task), ctx.task);
          return answerOnce(ctx, first.prompt, first.template, first.stop, problemOf(ctx.task));
        },
      };
    },
  };
}

/** Ask once and turn the answer into a sample draft (also round 0 of multi-round experiments). */
export async function answerOnce(
  ctx: ExperimentContext,
  prompt: Prompt,
  template: string,
  stop: string[] | undefined,
  problem: string,
): Promise<SampleDraft> {
  const params: SamplingParams = stop ? { ...ctx.params, stop } : ctx.params;
  const answer = await ctx.ask(prompt, params);
  const result = answer.result;
  const program = result ? ctx.program(result, prompt, problem) : { solution: '', method: 'none' };
  return {
    prompt,
    template,
    raw: result?.text ?? '',
    solution: program.solution,
    extraction: program.method,
    finishReason: result?.finishReason ?? null,
    usage: result?.usage ?? null,
    latencyMs: result?.latencyMs ?? 0,
    cached: answer.cached,
    params,
    error: answer.error,
  };
}
