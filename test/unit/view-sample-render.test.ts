import { describe, expect, it } from 'vitest';
import type { ResultLine } from '../../src/core/result.js';
import { renderSample, sampleText, SHOWN_CHARS, SHOWN_LINES, TEXT_CHARS } from '../../src/view/sample-render.js';

const line = (extra: Partial<ResultLine> & Record<string, unknown>): ResultLine => ({
  task_id: 'T',
  sample_index: 0,
  passed: false,
  status: 'failed',
  detail: '',
  duration_ms: 1,
  ...extra,
});
const refs = { secure: 'def f():\n    return 1\n', insecure: null };
const url = (f: string) => `/whole/${f}`;
const text = (lines: [string, string][][]) => lines.map((l) => l.map((t) => t[1]).join('')).join('\n');

describe('a sample page body', () => {
  it('shows an ordinary program whole, with its diff, nothing cut', () => {
    const r = renderSample(line({ solution: 'def f():\n    return 2\n' }), refs, url);
    expect(text(r.program)).toBe('def f():\n    return 2\n');
    expect(r.diff.secure).not.toBeNull();
    expect(r.diff.insecure).toBeNull();
    expect(r.truncated).toEqual([]);
  });

  it('cuts a long program at SHOWN_LINES lines, without a phantom empty line, and drops the diff', () => {
    const program = 'a = 1\n'.repeat(SHOWN_LINES + 5);
    const r = renderSample(line({ solution: program }), refs, url);
    expect(r.program).toHaveLength(SHOWN_LINES);
    expect(text(r.program)).toBe(program.slice(0, SHOWN_LINES * 6 - 1));
    expect(r.diff.secure).toBeNull();
    expect(r.truncated).toEqual([{ field: 'program', shown_chars: SHOWN_LINES * 6 - 1, chars: program.length, shown_lines: SHOWN_LINES, lines: SHOWN_LINES + 6, url: '/whole/program' }]);
  });

  it('cuts a program of one enormous line at SHOWN_CHARS characters', () => {
    const program = 'x'.repeat(SHOWN_CHARS * 3);
    const r = renderSample(line({ completion: program }), refs, url);
    expect(text(r.program)).toBe('x'.repeat(SHOWN_CHARS));
    expect(r.from_completion).toBe(true);
    expect(r.truncated[0]).toMatchObject({ field: 'program', shown_chars: SHOWN_CHARS, shown_lines: 1, lines: 1 });
  });

  it('cuts every other long text, naming it; the whole text stays available', () => {
    const big = 'y'.repeat(TEXT_CHARS + 1);
    const l = line({ solution: 'pass', raw: big, stdout_tail: big, detail: big, note: big });
    const r = renderSample(l, refs, url);
    expect(r.raw).toBe(`${'y'.repeat(TEXT_CHARS)}…`);
    expect(r.truncated.map((t) => t.field).sort()).toEqual(['detail', 'fields', 'raw', 'stdout_tail']);
    expect(r.truncated.find((t) => t.field === 'fields')!.url).toBeNull();
    expect(sampleText(l, 'raw')).toBe(big);
    expect(sampleText(l, 'program')).toBe('pass');
    expect(sampleText(line({}), 'extraction')).toBe('');
  });

  it('a task without references: no diff at all', () => {
    const r = renderSample(line({ solution: 'pass' }), { secure: null, insecure: null }, url);
    expect(r.diff).toEqual({ secure: null, insecure: null });
  });
});
