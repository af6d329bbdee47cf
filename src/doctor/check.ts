/** One line of `codeseceval doctor`. */
export type CheckLevel = 'ok' | 'warn' | 'fail';

export interface CheckResult {
  /** What was checked: node, python, bwrap, dataset, or an analyzer's registry name. */
  name: string;
  /** How the line names it ("Node.js", "Bandit"). */
  label: string;
  level: CheckLevel;
  detail: string;
  hint?: string;
}
