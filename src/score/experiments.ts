/**
 * The paper's four experiments (names are the generate command's contract) and how reports
 * group them: generation results form the paper's Table 2 and Figure 3, repair results its
 * Table 4 and Figure 4. Any other experiment name is reported under "other".
 */
export const GENERATION_EXPERIMENTS = ['direct-generation', 'vuln-aware-generation'] as const;
export const REPAIR_EXPERIMENTS = ['direct-repair', 'explained-repair'] as const;
export const KNOWN_EXPERIMENTS: readonly string[] = [...GENERATION_EXPERIMENTS, ...REPAIR_EXPERIMENTS];

/** The experiment whose problems are split by numbered steps (the paper's Table 3). */
export const STEPS_EXPERIMENT = 'vuln-aware-generation';

export type ExperimentFamily = 'generation' | 'repair' | 'other';

export function familyOf(experiment: string): ExperimentFamily {
  if ((GENERATION_EXPERIMENTS as readonly string[]).includes(experiment)) return 'generation';
  if ((REPAIR_EXPERIMENTS as readonly string[]).includes(experiment)) return 'repair';
  return 'other';
}

/** Paper order first, then other names alphabetically. */
export function compareExperiments(a: string, b: string): number {
  const ia = KNOWN_EXPERIMENTS.indexOf(a);
  const ib = KNOWN_EXPERIMENTS.indexOf(b);
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
