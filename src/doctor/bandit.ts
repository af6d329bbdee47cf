import type { CheckResult } from './check.js';
import { BanditAnalyzer } from '../analyzers/bandit.js';

/**
 * The doctor's line for Bandit. Only `codeseceval analyze` needs it, so a missing Bandit is a
 * warning, never a failure of the machine check.
 */
export async function checkBandit(command?: string): Promise<CheckResult> {
  try {
    return await trial(command);
  } catch (e) {
    return { name: 'bandit', level: 'warn', detail: `bandit check failed: ${(e as Error).message.split('\n')[0]}` };
  }
}

async function trial(command: string | undefined): Promise<CheckResult> {
  const bandit = new BanditAnalyzer(command ? { command } : {});
  const ok = await bandit.available();
  if (!ok.ok) {
    return { name: 'bandit', level: 'warn', detail: ok.why ?? 'not available', hint: 'apt-get install bandit (needed by `codeseceval analyze` only)' };
  }
  const [found] = await bandit.analyzePrograms(['import subprocess\nsubprocess.call("x", shell=True)\n']);
  if (!found || found.error !== null || !found.findings.some((f) => f.rule === 'B602')) {
    return { name: 'bandit', level: 'warn', detail: `bandit ${await bandit.version()} runs but did not find shell=True in a trial program`, hint: 'check the bandit installation' };
  }
  return { name: 'bandit', level: 'ok', detail: `bandit ${await bandit.version()}: trial analysis works` };
}
