import type { FeedbackRepairInfo } from '../core/sample.js';
import { AnalysisError } from '../analyzers/registry.js';
import type { Finding } from '../analyzers/types.js';
import { UserError } from '../core/errors.js';
import type { ExecResult } from '../core/exec.js';
import { feedbackExperimentName, FEEDBACK_KINDS, type FeedbackKind, PAPER_EXPERIMENTS } from '../core/experiments.js';
import type { ChatTurn, Prompt, Usage } from '../core/model.js';
import type { SampleRound } from '../core/sample.js';
import type { Task } from '../core/task.js';
import { answerOnce, promptFor, templatesFor } from './single-shot.js';
import { findingsReport, type FeedbackPlaceholder, type FeedbackTemplate, loadFeedbackTemplate, renderFeedback, testReport } from './feedback-text.js';
import type { ExperimentContext, ExperimentStrategy, PreparedExperiment, PrepareSetup, SampleDraft } from './types.js';

/** What a feedback kind looks at, and when it has nothing left to say. */
interface KindRules {
  analyzer: boolean;
  tests: boolean;
}

export function kindRules(kind: FeedbackKind): KindRules {
  return { analyzer: kind === 'analyzer' || kind === 'analyzer+tests', tests: kind === 'tests' || kind === 'analyzer+tests' };
}

/** The Problem text whose code gives extraction its context (as the base experiment's own strategy does). */
function problemOf(base: string, task: Task): string {
  return base === 'vuln-aware-generation' ? (task.vulnAwareProblem ?? task.problem) : task.problem;
}

/** How the loop ended: the stop rule held, the round budget ran out, or a request failed. */
export type StopReason = FeedbackRepairInfo['stopped'];

/** Recorded on every feedback sample (field `feedback_repair`), so a report knows how it was made. */
export type FeedbackRecord = FeedbackRepairInfo;

interface RoundState {
  solution: string;
  verdict: ExecResult;
  findings: Finding[] | null;
  analysisError: string | null;
}

function addUsage(a: Usage | null, b: Usage | null): Usage | null {
  if (!a) return b;
  if (!b) return a;
  return { input_tokens: a.input_tokens + b.input_tokens, output_tokens: a.output_tokens + b.output_tokens };
}

/**
 * Multi-round repair: round 0 is the base single-shot experiment's answer; after each round
 * the program runs in the sandbox (and through the analyzer when the kind uses it), and
 * unless the kind's stop rule holds, the feedback goes back in the same conversation and the
 * model answers with a corrected program, up to `rounds` times. The rule looks only at what
 * the kind feeds back: `analyzer` stops when the analyzer is clean and never looks at the
 * tests; `none` has no signal and always runs every round.
 */
export function feedbackRepair(kind: FeedbackKind): ExperimentStrategy {
  const name = feedbackExperimentName(kind);
  const rules = kindRules(kind);
  return {
    name,
    needs: { executor: true, analyzer: rules.analyzer },
    prepare(setup: PrepareSetup): PreparedExperiment {
      if (!setup.chatProvider || setup.style !== 'chat') {
        throw new UserError(
          `experiment ${name} needs a chat model that can hold a conversation (openai:<model> or anthropic:<model>); this model answers in ${setup.style === 'chat' ? 'single prompts' : 'completion style'}`,
        );
      }
      const base = setup.baseExperiment;
      if (!(PAPER_EXPERIMENTS as readonly string[]).includes(base)) {
        throw new UserError(`--feedback-base: "${base}" is not a single-shot experiment (use ${PAPER_EXPERIMENTS.join(', ')})`);
      }
      // A single template file (--prompt-template FILE) is round 0's prompt; a folder may hold both.
      const first = templatesFor(base, 'chat', setup.override, setup.tasks);
      const required: FeedbackPlaceholder[] = [...(rules.analyzer ? (['findings'] as const) : []), ...(rules.tests ? (['test_results'] as const) : [])];
      const turn = loadFeedbackTemplate(kind, setup.override, required);
      const analyzer = rules.analyzer ? setup.analyzer : null;
      return {
        firstPrompt: (task) => promptFor(first(task), task),
        run: (ctx) => runLoop(ctx, { kind, rules, base, rounds: setup.rounds, first: promptFor(first(ctx.task), ctx.task), turn, analyzer }),
      };
    },
  };
}

interface LoopSetup {
  kind: FeedbackKind;
  rules: KindRules;
  base: string;
  rounds: number;
  first: { prompt: Prompt; template: string; stop?: string[] };
  turn: FeedbackTemplate;
  analyzer: string | null;
}

async function check(ctx: ExperimentContext, s: LoopSetup, solution: string): Promise<RoundState & { soft?: ExecResult['soft'] | null }> {
  const verdict = await ctx.execute(solution);
  const soft = ctx.soft ? ((await ctx.execute(solution, { soft: true })).soft ?? null) : undefined;
  let findings: Finding[] | null = null;
  let analysisError: string | null = null;
  if (s.rules.analyzer) {
    if (!solution.trim()) analysisError = 'the answer held no program';
    else {
      try {
        findings = await ctx.analyze(solution);
      } catch (e) {
        // Only "cannot read this program" belongs to the sample; an analyzer that broke stops the run.
        if (!(e instanceof AnalysisError)) throw e;
        analysisError = e.message;
      }
    }
  }
  return { solution, verdict, findings, analysisError, ...(soft !== undefined ? { soft } : {}) };
}

function isDone(rules: KindRules, st: RoundState): boolean {
  if (!rules.analyzer && !rules.tests) return false;
  const clean = !rules.analyzer || (st.solution.trim() !== '' && st.analysisError === null && (st.findings?.length ?? 0) === 0);
  const passes = !rules.tests || st.verdict.status === 'passed';
  return clean && passes;
}

function feedbackFor(s: LoopSetup, ctx: ExperimentContext, st: RoundState, nextRound: number): string {
  const noProgram = 'Your answer held no Python program that could be run.';
  return renderFeedback(s.turn, {
    findings: s.rules.analyzer ? (st.solution.trim() ? findingsReport(s.analyzer!, st.findings, st.analysisError) : noProgram) : '',
    test_results: s.rules.tests ? testReport(st.verdict, ctx.task.test) : '',
    entry_point: ctx.task.entryPoint,
    round: String(nextRound),
    rounds: String(s.rounds),
  });
}

async function runLoop(ctx: ExperimentContext, s: LoopSetup): Promise<SampleDraft> {
  const problem = problemOf(s.base, ctx.task);
  const zero = await answerOnce(ctx, s.first.prompt, s.first.template, s.first.stop, problem);
  const rounds: SampleRound[] = [];
  const record = (round: number, feedback: string | null, d: SampleDraft, st: (RoundState & { soft?: ExecResult['soft'] | null }) | null): void => {
    rounds.push({
      round,
      feedback,
      raw: d.raw,
      solution: d.solution,
      extraction: d.extraction,
      usage: d.usage,
      cached: d.cached,
      finish_reason: d.finishReason,
      latency_ms: d.latencyMs,
      status: st ? st.verdict.status : null,
      passed: st ? st.verdict.status === 'passed' : null,
      detail: st ? st.verdict.detail : null,
      ...(s.rules.analyzer
        ? {
            findings: st?.findings?.map((f) => ({ rule: f.rule, severity: f.severity, confidence: f.confidence, cwe: f.cwe, line: f.line, message: f.message })) ?? null,
            analysis_error: st?.analysisError ?? null,
          }
        : {}),
      ...(st && st.soft !== undefined ? { soft: st.soft } : {}),
      error: d.error,
    });
  };

  const chatPrompt = s.first.prompt;
  if (chatPrompt.style !== 'chat') throw new Error('feedback-repair needs a chat prompt');
  let last = zero;
  let stopped: StopReason = 'rounds';
  if (zero.error !== null) {
    record(0, null, zero, null);
    stopped = 'error';
  } else {
    let state = await check(ctx, s, zero.solution);
    record(0, null, zero, state);
    const history: ChatTurn[] = [{ role: 'user', content: chatPrompt.user }, { role: 'assistant', content: zero.raw }];
    for (let r = 1; ; r++) {
      if (isDone(s.rules, state)) {
        rounds[rounds.length - 1]!.done = true;
        stopped = 'done';
        break;
      }
      if (r > s.rounds) break;
      const feedback = feedbackFor(s, ctx, state, r);
      const prompt: Prompt = { style: 'chat', system: chatPrompt.system, history: [...history], user: feedback };
      const d = await answerOnce(ctx, prompt, s.turn.name, undefined, problem);
      last = d;
      if (d.error !== null) {
        record(r, feedback, d, null);
        stopped = 'error';
        break;
      }
      state = await check(ctx, s, d.solution);
      record(r, feedback, d, state);
      history.push({ role: 'user', content: feedback }, { role: 'assistant', content: d.raw });
    }
  }

  const info: FeedbackRecord = {
    kind: s.kind,
    base_experiment: s.base,
    max_rounds: s.rounds,
    analyzer: s.analyzer,
    template: s.turn.name,
    stopped,
  };
  return {
    // The first prompt (round 0's) identifies the sample; later prompts are that prompt plus
    // the rounds' feedback and answers, all kept in `rounds`.
    prompt: zero.prompt,
    template: zero.template,
    raw: last.raw,
    // A failed request leaves the sample without a program, as for every experiment:
    // --retry-errors makes it again, and the cache replays the rounds that were answered.
    solution: last.error !== null ? '' : last.solution,
    extraction: last.extraction,
    finishReason: last.finishReason,
    usage: rounds.reduce<Usage | null>((acc, r) => addUsage(acc, r.usage), null),
    latencyMs: rounds.reduce((acc, r) => acc + (r.latency_ms ?? 0), 0),
    cached: rounds.every((r) => r.cached),
    params: zero.params,
    error: last.error,
    rounds,
    extra: { feedback_repair: info },
  };
}

/** One strategy per feedback kind, for the experiment registry. */
export const FEEDBACK_STRATEGIES: readonly ExperimentStrategy[] = FEEDBACK_KINDS.map((k) => feedbackRepair(k));
