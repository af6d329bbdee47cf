import { describe, expect, it } from 'vitest';
import { markdownCell } from '../../src/report/markdown.js';
import { formatPValue } from '../../src/score/p-value.js';

describe('a Markdown table cell escapes only what Markdown needs', () => {
  it('leaves a small p-value readable in the raw file', () => {
    expect(markdownCell(formatPValue(0.0004))).toBe('<0.001');
    expect(markdownCell('a > b, 3 < 4')).toBe('a > b, 3 < 4');
  });
  it('escapes what would open an HTML tag, comment or autolink', () => {
    expect(markdownCell('<script>x</script>')).toBe('\\<script>x\\</script>');
    expect(markdownCell('<!-- c -->')).toBe('\\<!-- c -->');
    expect(markdownCell('<http://x>')).toBe('\\<http://x>');
  });
  it('escapes an ampersand only where it would spell an entity', () => {
    expect(markdownCell('a & b')).toBe('a & b');
    expect(markdownCell('&lt;b&gt; &#60;')).toBe('\\&lt;b\\&gt; \\&#60;');
  });
  it('keeps a cell one cell on one row', () => {
    expect(markdownCell('a|b\nc\\')).toBe('a\\|b c\\\\');
  });
});

describe('p-values', () => {
  it('are written one way: three decimals, never 0', () => {
    expect(formatPValue(0.0499)).toBe('0.050');
    expect(formatPValue(0.001)).toBe('0.001');
    expect(formatPValue(0.000999)).toBe('<0.001');
  });
});
