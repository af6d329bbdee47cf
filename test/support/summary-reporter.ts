import type { Reporter, TestModule } from 'vitest/node';
import { skipNote } from './data-note.js';

/**
 * Ends the run with one plain "N passed, N failed, N skipped" line, which log readers that
 * don't know Vitest's own summary can parse. Just before it, one line per kind of upstream
 * data that was missing says how to get it (see test/helpers/datasets.ts).
 */
export default class SummaryLineReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    const skippedNames: string[] = [];
    for (const m of modules) {
      for (const t of m.children.allTests()) {
        const state = t.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else {
          skipped++;
          skippedNames.push(t.name);
        }
      }
      if (m.state() === 'failed' && ![...m.children.allTests()].length) failed++;
    }
    const notes = skipNote(skippedNames).map((n) => `${n}\n`).join('');
    // Written at exit so it comes after Vitest's own summary, as the run's last line.
    process.once('exit', () => process.stdout.write(`\n${notes}${passed} passed, ${failed} failed, ${skipped} skipped\n`));
  }
}
