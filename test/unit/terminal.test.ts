import { describe, expect, it } from 'vitest';
import { jsonTerminalSafe, terminalSafe } from '../../src/text/terminal.js';

describe('text from data files on a terminal', () => {
  it('shows control characters instead of obeying them, keeping newlines and tabs', () => {
    expect(terminalSafe('evil\u001b]0;title\u0007\u001b[2J\tok\n')).toBe('evil\\x1b]0;title\\x07\\x1b[2J\tok\n');
    expect(terminalSafe('csi\u009b31m del\u007f')).toBe('csi\\x9b31m del\\x7f');
    expect(terminalSafe('bidi \u202eabc\u2066')).toBe('bidi \\u202eabc\\u2066');
    expect(terminalSafe('plain: é ✓ 中文')).toBe('plain: é ✓ 中文');
  });
  it('keeps JSON the same value', () => {
    const value = { model: 'a\u009bb\u202e\u007f', esc: '\u001b' };
    const text = jsonTerminalSafe(JSON.stringify(value));
    // eslint-disable-next-line no-control-regex -- looking for control characters is the test
    expect(text).not.toMatch(/[\u007f-\u009f\u202a-\u202e\u001b]/);
    expect(JSON.parse(text)).toEqual(value);
  });
});
