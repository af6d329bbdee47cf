import { describe, expect, it } from 'vitest';
import { cell } from '../../src/view/csv.js';

describe('viewer CSV cells', () => {
  it('quotes commas, quotes and line breaks (RFC 4180)', () => {
    expect(cell('a,b')).toBe('"a,b"');
    expect(cell('say "hi"')).toBe('"say ""hi"""');
    expect(cell('two\nlines')).toBe('"two\nlines"');
    expect(cell(0.25)).toBe('0.25');
  });

  it('never lets a spreadsheet read a model name as a formula', () => {
    for (const evil of ['=HYPERLINK("http://x")', '+1+1', '-2+3', '@SUM(A1)', '\tcmd']) expect(cell(evil).replace(/^"/, '').startsWith("'")).toBe(true);
    // Numbers the tool writes stay numbers.
    expect(cell(-0.5)).toBe('-0.5');
  });
});
