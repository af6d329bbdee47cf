import { describe, expect, it } from 'vitest';
import { STATUSES } from '../../src/core/status.js';
import { filterFromParams, meta, TaskFilter } from '../../src/view/queries.js';

/** The page keeps no copy of the status list or filter keys: /api/meta is the one source. */
describe('viewer /api/meta', () => {
  it('lists the statuses of src/core/status.ts in their order', () => {
    expect(meta().statuses).toEqual([...STATUSES]);
  });

  it('lists exactly the URL parameters the task filter reads, one per filter field', () => {
    const keys = meta().filterKeys;
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.length).toBe(Object.keys(TaskFilter.shape).length);
    const valid: Record<string, string> = { status: 'failed', verdict: 'secure', broken: 'only' };
    const defaults = filterFromParams(new URLSearchParams());
    for (const k of keys) {
      const f = filterFromParams(new URLSearchParams({ [k]: valid[k] ?? 'x' }));
      const changed = Object.keys(f).filter((field) => JSON.stringify(f[field as keyof TaskFilter]) !== JSON.stringify(defaults[field as keyof TaskFilter]));
      expect(changed, k).toHaveLength(1);
    }
  });
});
