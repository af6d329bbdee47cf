import { describe, expect, it } from 'vitest';
import { BoundedLines } from '../../src/sandbox/lines.js';
import { RunnerResult, MAX_DETAIL_CHARS } from '../../src/sandbox/protocol.js';

function split(chunks: string[], max = 10) {
  const lines: string[] = [];
  const overflows: number[] = [];
  const b = new BoundedLines(max, (l) => lines.push(l), (n) => overflows.push(n));
  for (const c of chunks) b.push(Buffer.from(c));
  return { lines, overflows };
}

describe('the runner channel is read in bounded lines', () => {
  it('splits lines across and within chunks', () => {
    expect(split(['ab', 'c\nde\r\nf', 'g\n'])).toEqual({ lines: ['abc', 'de', 'fg'], overflows: [] });
  });

  it('keeps multi-byte characters split between chunks whole', () => {
    const bytes = Buffer.from('é\n');
    const lines: string[] = [];
    const b = new BoundedLines(10, (l) => lines.push(l), () => {});
    b.push(bytes.subarray(0, 1));
    b.push(bytes.subarray(1));
    expect(lines).toEqual(['é']);
  });

  it('refuses a line that never ends once it passes the bound, once, and reads nothing after', () => {
    expect(split(['12345', '67890', '1', '\nnext\n'])).toEqual({ lines: [], overflows: [11] });
  });

  it('refuses a long line even when its newline comes in the same chunk', () => {
    expect(split(['ok\n12345678901\nlater\n'])).toEqual({ lines: ['ok'], overflows: [11] });
  });
});

describe('every field of a result line is bounded', () => {
  const base = { id: 1, status: 'passed', duration_ms: 1 };
  it('cuts a forged 20 MB detail and keeps the end of long tails', () => {
    const huge = 'x'.repeat(20 * 1024 * 1024);
    const r = RunnerResult.parse({ ...base, detail: huge, stdout_tail: `${huge}END`, stderr_tail: '' });
    expect(r.detail).toHaveLength(MAX_DETAIL_CHARS);
    expect(r.stdout_tail).toHaveLength(MAX_DETAIL_CHARS);
    expect(r.stdout_tail.endsWith('END')).toBe(true);
  });

  it('refuses an unbounded list of test cases', () => {
    const cases = Array.from({ length: 10_001 }, (_, i) => ({ name: `t${i}`, role: null, outcome: 'passed' }));
    expect(RunnerResult.safeParse({ ...base, detail: '', stdout_tail: '', stderr_tail: '', cases }).success).toBe(false);
  });
});
