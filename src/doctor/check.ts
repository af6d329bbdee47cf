/** One line of `codeseceval doctor`. */
export type CheckLevel = 'ok' | 'warn' | 'fail';

export interface CheckResult {
  name: 'node' | 'python' | 'bwrap' | 'limits' | 'dataset' | 'bandit';
  level: CheckLevel;
  detail: string;
  hint?: string;
}
