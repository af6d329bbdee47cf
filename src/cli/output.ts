import { jsonTerminalSafe, terminalSafe } from '../text/terminal.js';

/** Every line the CLI prints goes through here, so text taken from data files cannot act on the terminal. */
export function out(text: string): boolean {
  return process.stdout.write(terminalSafe(text));
}

export function err(text: string): boolean {
  return process.stderr.write(terminalSafe(text));
}

/** JSON on stdout: the same value, with the characters JSON leaves raw written as \u escapes. */
export function outJson(text: string): boolean {
  return process.stdout.write(jsonTerminalSafe(text));
}
