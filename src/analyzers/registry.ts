import { UserError } from '../core/errors.js';
import { BanditAnalyzer } from './bandit.js';
import type { Analyzer, Finding, ProgramAnalysis } from './types.js';

/**
 * Analyzers by name. Another analyzer (Semgrep, ...) plugs in with one entry here and passes
 * the shared contract tests (test/contracts-analyzer.test.ts fails until it has a harness entry);
 * `doctor` checks every analyzer listed here.
 */
const FACTORIES = {
  bandit: () => new BanditAnalyzer(),
} satisfies Record<string, () => Analyzer>;

export type AnalyzerName = keyof typeof FACTORIES;
export const ANALYZER_NAMES = Object.keys(FACTORIES) as AnalyzerName[];
export const DEFAULT_ANALYZER: AnalyzerName = 'bandit';

export function isAnalyzerName(name: string): name is AnalyzerName {
  return Object.hasOwn(FACTORIES, name);
}

export function createAnalyzer(name: string): Analyzer {
  if (!isAnalyzerName(name)) throw new UserError(`unknown analyzer "${name}" (known: ${ANALYZER_NAMES.join(', ')})`);
  return FACTORIES[name]();
}

/** An available analyzer, or a UserError saying why it cannot run here. */
export async function requireAnalyzer(name: string): Promise<Analyzer> {
  const a = createAnalyzer(name);
  const ok = await a.available();
  if (!ok.ok) throw new UserError(`analyzer ${name} cannot run: ${ok.why}`);
  return a;
}

const shared = new Map<string, Analyzer>();

/**
 * The findings of one program, for callers that analyse as they go (a feedback-repair round).
 * A program the analyzer cannot read throws, since "no findings" would read as clean.
 */
export async function analyze(program: string, name: string = DEFAULT_ANALYZER): Promise<Finding[]> {
  const a = await analyzeOne(program, name);
  if (a.error !== null) throw new AnalysisError(a.error);
  return a.findings;
}

/** As `analyze`, but a per-program error is returned instead of thrown. */
export async function analyzeOne(program: string, name: string = DEFAULT_ANALYZER): Promise<ProgramAnalysis> {
  let a = shared.get(name);
  if (!a) {
    a = await requireAnalyzer(name);
    shared.set(name, a);
  }
  const [got] = await a.analyzePrograms([program]);
  return got!;
}

/** The analyzer could not read the program (most often a syntax error). */
export class AnalysisError extends Error {
  override name = 'AnalysisError';
}
