import { describe, expect, it } from 'vitest';
import { EXECUTORS } from '../src/sandbox/index.js';
import { executorContract } from './helpers/contracts/executor.js';

// Every registered backend runs the same suite: a new one is covered by its registry entry.
for (const entry of EXECUTORS) executorContract(entry.name, (opts) => entry.create(opts));

describe('executor registry', () => {
  it('names each backend once, with a one-line description', () => {
    const names = EXECUTORS.map((e) => e.name);
    expect(new Set(names).size).toBe(names.length);
    for (const e of EXECUTORS) expect(e.description).toMatch(/^[^\n]+$/);
  });

  it('warns about running unsandboxed exactly for the backend without isolation', () => {
    for (const e of EXECUTORS) {
      const warnings: string[] = [];
      const ex = e.create({ jobs: 1, onWarning: (w) => warnings.push(w) });
      ex.close();
      expect(warnings.some((w) => /UNSANDBOXED/.test(w)), e.name).toBe(e.name === 'none');
    }
  });
});
