import { UserError } from './errors.js';

/**
 * The experiment registry: every experiment name a samples file may carry, and how reports
 * group it. The names are part of the samples file's contract. Behaviour (what to ask, what
 * to do with the answer) lives in the strategies under src/experiments/, one per entry.
 */
export type ExperimentFamily = 'generation' | 'repair' | 'feedback' | 'other';

export interface ExperimentInfo {
  name: string;
  family: ExperimentFamily;
  /** One line for help texts and reports. */
  summary: string;
  /** The experiment whose problems the paper splits by numbered steps (its Table 3). */
  numberedSteps?: boolean;
  /** Feedback experiments: the model saw test results, which a deployed tool would not have. */
  oracle?: boolean;
}

const PAPER: readonly ExperimentInfo[] = [
  { name: 'direct-generation', family: 'generation', summary: 'the Problem' },
  { name: 'vuln-aware-generation', family: 'generation', summary: 'the Vulnerability-aware Problem', numberedSteps: true },
  { name: 'direct-repair', family: 'repair', summary: 'the Problem and the Insecure Code, to fix' },
  { name: 'explained-repair', family: 'repair', summary: 'as direct-repair, plus the Insecure Code Explanation' },
];

/** The paper's four experiments, in its order. */
export const PAPER_EXPERIMENTS = PAPER.map((e) => e.name);

/** Feedback kinds of the multi-round repair experiments (`feedback-repair-<kind>`). */
export const FEEDBACK_KINDS = ['none', 'analyzer', 'tests', 'analyzer+tests'] as const;
export type FeedbackKind = (typeof FEEDBACK_KINDS)[number];

export function feedbackExperimentName(kind: FeedbackKind): string {
  return `feedback-repair-${kind}`;
}

const FEEDBACK: readonly ExperimentInfo[] = FEEDBACK_KINDS.map((kind) => ({
  name: feedbackExperimentName(kind),
  family: 'feedback' as const,
  summary:
    kind === 'none'
      ? 'multi-round: "review your code for security problems" after each round (self-refinement baseline)'
      : `multi-round: the ${kind === 'analyzer+tests' ? "static analyzer's findings and the test results" : kind === 'analyzer' ? "static analyzer's findings" : 'test results'} after each round`,
  ...(kind.includes('tests') ? { oracle: true } : {}),
}));

const REGISTRY: ReadonlyMap<string, ExperimentInfo> = new Map([...PAPER, ...FEEDBACK].map((e) => [e.name, e]));

/** Every registered experiment name, paper order first. */
export const EXPERIMENT_NAMES: readonly string[] = [...REGISTRY.keys()];

export function isExperiment(name: string): boolean {
  return REGISTRY.has(name);
}

/** Registered experiments are described; any other name (samples from elsewhere) is "other". */
export function experimentInfo(name: string): ExperimentInfo {
  return REGISTRY.get(name) ?? { name, family: 'other', summary: name };
}

export function familyOf(experiment: string): ExperimentFamily {
  return experimentInfo(experiment).family;
}

/** The experiment whose problems are split by numbered steps (the paper's Table 3). */
export const STEPS_EXPERIMENT = PAPER.find((e) => e.numberedSteps)!.name;

/** Registry order first, then other names alphabetically. */
export function compareExperiments(a: string, b: string): number {
  const ia = EXPERIMENT_NAMES.indexOf(a);
  const ib = EXPERIMENT_NAMES.indexOf(b);
  if (ia !== -1 || ib !== -1) return (ia === -1 ? Infinity : ia) - (ib === -1 ? Infinity : ib);
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Pairs worth a paired test within one model: the extra information the paper adds in each
 * family, with the baseline first.
 */
export const EXPERIMENT_PAIRS: readonly (readonly [string, string])[] = [
  ['direct-generation', 'vuln-aware-generation'],
  ['direct-repair', 'explained-repair'],
];

/**
 * `--experiments`: one name, several separated by commas, or `all` (the paper's four; the
 * feedback experiments are named explicitly because they cost several requests a sample).
 */
export function parseExperiments(value: string, flag = '--experiments'): string[] {
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const valid = `use ${EXPERIMENT_NAMES.join(', ')} or all`;
  if (!names.length) throw new UserError(`${flag}: no experiment named (${valid})`);
  const out: string[] = [];
  for (const n of names) {
    const list = n === 'all' ? PAPER_EXPERIMENTS : isExperiment(n) ? [n] : null;
    if (!list) throw new UserError(`${flag}: unknown experiment "${n}" (${valid})`);
    for (const e of list) if (!out.includes(e)) out.push(e);
  }
  return out;
}

/** An experiment name; registered names are described by `experimentInfo`. */
export type Experiment = string;
