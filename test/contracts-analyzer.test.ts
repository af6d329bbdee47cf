import { expect, it } from 'vitest';
import { BanditAnalyzer } from '../src/analyzers/bandit.js';
import { ANALYZER_NAMES, createAnalyzer } from '../src/analyzers/registry.js';
import { analyzerContract, type AnalyzerHarness } from './helpers/contracts/analyzer.js';

/**
 * What each analyzer needs for the shared suite. The suite loops over the registry: a new
 * analyzer fails until it has an entry here, so it cannot go untested.
 */
const HARNESS: Record<string, AnalyzerHarness> = {
  // A small batch, so the 250-program test crosses batch boundaries.
  bandit: { make: () => new BanditAnalyzer({ batchSize: 64 }), badRule: 'B602' },
};

for (const name of ANALYZER_NAMES) {
  const harness = HARNESS[name];
  if (!harness) {
    it(`analyzer contract: ${name} has a harness`, () => {
      expect(harness, `add "${name}" to HARNESS in ${import.meta.filename}`).toBeDefined();
    });
    continue;
  }
  analyzerContract(name, harness.make ?? (() => createAnalyzer(name)), harness);
}
