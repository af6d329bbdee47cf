import type { ExecResult } from '../core/exec.js';
import type { CompletionResult, ModelStyle, Prompt, SamplingParams } from '../core/model.js';
import type { SampleRound } from '../core/sample.js';
import type { Task } from '../core/task.js';
import type { Finding } from '../analyzers/types.js';

/** A model answer as a strategy sees it: a result, or why the request failed for good. */
export interface Answer {
  result: CompletionResult | null;
  cached: boolean;
  /** Set when the request failed after its retries (recorded on the sample, the run goes on). */
  error: string | null;
}

/** A program taken from an answer, and how it was obtained. */
export interface Program {
  solution: string;
  method: string;
}

/**
 * What a strategy may use while it makes one sample. Everything that costs money or time
 * (the model, the sandbox, the analyzer) goes through here, so the stage can cache, count,
 * throttle and stop it; a strategy never builds clients of its own.
 */
export interface ExperimentContext {
  task: Task;
  sampleIndex: number;
  /** How the model's answers turn into programs. */
  style: ModelStyle;
  /** The sampling parameters of this run (a strategy may add stop sequences). */
  params: SamplingParams;
  /**
   * Ask the model. Answers are cached by provider, prompt (with its conversation), parameters
   * and sample index, so a rerun pays for nothing twice. Throws when the run is stopping or
   * the failure is fatal (bad key, unknown model); other failures come back as `error`.
   */
  ask(prompt: Prompt, params: SamplingParams): Promise<Answer>;
  /** The program in an answer, extracted the same way for every experiment. */
  program(answer: CompletionResult, prompt: Prompt, problem: string): Program;
  /**
   * Run a program against the task's test in the sandbox (multi-round experiments); `soft`
   * runs it in soft-assert mode (every check runs, failures are listed in `soft`).
   */
  execute(program: string, opts?: { soft?: boolean }): Promise<ExecResult>;
  /** The run wants soft-assert outcomes of every program it runs (`run --split`). */
  soft: boolean;
  /** Static-analysis findings on a program (multi-round experiments). */
  analyze(program: string): Promise<Finding[]>;
}

/** One sample as a strategy made it; the stage adds the keys (task, experiment, model, index). */
export interface SampleDraft {
  prompt: Prompt;
  template: string;
  raw: string;
  solution: string;
  extraction: string;
  finishReason: string | null;
  usage: { input_tokens: number; output_tokens: number } | null;
  latencyMs: number;
  cached: boolean;
  /** The parameters actually sent (stop sequences included). */
  params: SamplingParams;
  error: string | null;
  /** Multi-round experiments: every round, round 0 first. */
  rounds?: SampleRound[];
  /** Fields a strategy records beside the standard ones (e.g. the base experiment of a loop). */
  extra?: Record<string, unknown>;
}

export interface PrepareSetup {
  /** Chat or completion templates, from the provider's style. */
  style: 'chat' | 'completion';
  /** --prompt-template: a file (one experiment) or a folder of `<experiment>.<style>.txt`. */
  override?: string | undefined;
  tasks: readonly Task[];
  /** The provider builds chat conversations (multi-round experiments need one). */
  chatProvider: boolean;
  /** Multi-round experiments: rounds after round 0, and the single-shot experiment of round 0. */
  rounds: number;
  baseExperiment: string;
  /** Multi-round experiments: the static analyzer whose findings are fed back. */
  analyzer: string;
}

/** An experiment ready to run: templates loaded and checked against every task. */
export interface PreparedExperiment {
  /** The first prompt of a task, rendered before any request so template problems cost nothing. */
  firstPrompt(task: Task): { prompt: Prompt; template: string; stop?: string[] };
  run(ctx: ExperimentContext): Promise<SampleDraft>;
}

/**
 * An experiment decides what to ask and what to do with the answer. The paper's four are
 * single-shot; a multi-round experiment is a loop inside its own strategy.
 */
export interface ExperimentStrategy {
  readonly name: string;
  /** What the stage must set up before the strategy runs. */
  readonly needs: { executor: boolean; analyzer: boolean };
  /** Load templates and refuse, before any request, tasks or providers it cannot serve. */
  prepare(setup: PrepareSetup): PreparedExperiment;
}
