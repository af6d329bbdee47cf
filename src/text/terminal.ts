/**
 * Text from data files (model names, task IDs, details, paths) is untrusted: printed raw, an
 * escape sequence in it could clear the screen, retitle the window or write the clipboard.
 * Control characters (C0 except newline and tab, DEL, C1) and the bidirectional overrides that
 * reorder what a reader sees are shown as visible escapes instead.
 */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

function visible(ch: string): string {
  const code = ch.codePointAt(0)!;
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** Text for a terminal or a text report: newlines and tabs kept, every other control made visible. */
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, visible);
}

/**
 * JSON for a terminal: JSON.stringify already escapes C0, but not DEL, C1 or the bidi
 * overrides; those become \u escapes, which leaves the same JSON value.
 */
export function jsonTerminalSafe(json: string): string {
  return json.replace(/[\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, (ch) => `\\u${ch.codePointAt(0)!.toString(16).padStart(4, '0')}`);
}
