import { UserError } from '../util/errors.js';

/** The paper's four experiments; the names are part of the samples file's contract. */
export const EXPERIMENTS = ['direct-generation', 'vuln-aware-generation', 'direct-repair', 'explained-repair'] as const;
export type Experiment = (typeof EXPERIMENTS)[number];

export function isExperiment(name: string): name is Experiment {
  return (EXPERIMENTS as readonly string[]).includes(name);
}

/** `--experiment`: one name, several separated by commas, or `all`. */
export function parseExperiments(value: string): Experiment[] {
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (!names.length) throw new UserError(`--experiment: no experiment named (use ${EXPERIMENTS.join(', ')} or all)`);
  const out: Experiment[] = [];
  for (const n of names) {
    const list = n === 'all' ? [...EXPERIMENTS] : isExperiment(n) ? [n] : null;
    if (!list) throw new UserError(`--experiment: unknown experiment "${n}" (use ${EXPERIMENTS.join(', ')} or all)`);
    for (const e of list) if (!out.includes(e)) out.push(e);
  }
  return out;
}
