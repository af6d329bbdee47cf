import type { CheckResult } from './check.js';
import { ANALYZER_NAMES, createAnalyzer } from '../analyzers/registry.js';
import type { Analyzer } from '../analyzers/types.js';

/**
 * A shell command built by string concatenation: every analyzer worth the name flags it, and
 * the analyzer contract makes each one map it to CWE-78, so one trial serves all of them.
 */
const TRIAL = 'import subprocess\nsubprocess.call("ls " + input(), shell=True)\n';
const TRIAL_CWE = 'CWE-78';

/** One doctor line per registered analyzer, checked at the same time. */
export function checkAnalyzers(make: (name: string) => Analyzer = createAnalyzer): Promise<CheckResult[]> {
  return Promise.all(ANALYZER_NAMES.map((name) => checkAnalyzer(make(name))));
}

/**
 * The doctor's line for one analyzer. Only `analyze` and analyzer feedback need one, so a
 * missing or broken analyzer is a warning, never a failure of the machine check.
 */
export async function checkAnalyzer(analyzer: Analyzer): Promise<CheckResult> {
  const { name, label } = analyzer;
  const warn = (detail: string, hint?: string): CheckResult => ({ name, label, level: 'warn', detail, hint });
  try {
    const ok = await analyzer.available();
    if (!ok.ok) return warn(ok.why ?? 'not available', `${analyzer.install} (needed by \`codeseceval analyze\` and analyzer feedback only)`);
    const [found] = await analyzer.analyzePrograms([TRIAL]);
    const version = await analyzer.version();
    if (!found || found.error !== null || !found.findings.some((f) => f.cwe === TRIAL_CWE)) {
      return warn(`${name} ${version} runs but did not flag shell=True in a trial program`, `check the ${label} installation`);
    }
    return { name, label, level: 'ok', detail: `${name} ${version}: trial analysis works` };
  } catch (e) {
    return warn(`${name} check failed: ${(e as Error).message.split('\n')[0]}`);
  }
}
