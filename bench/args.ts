import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * A bench script's flags: node's own parser, strict, so a mistyped flag stops the run in one
 * line instead of being ignored while minutes of measurement go by.
 */
export function benchFlags<const O extends Options>(options: O): ReturnType<typeof parseArgs<{ options: O; strict: true; allowPositionals: false }>>['values'] {
  try {
    return parseArgs({ options, strict: true, allowPositionals: false }).values;
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(1);
  }
}

/** A whole number of at least 1 given to `flag`, or one line and exit 1. */
export function countFlag(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    process.stderr.write(`${flag}: expected a whole number of at least 1, got "${value}"\n`);
    process.exit(1);
  }
  return n;
}
