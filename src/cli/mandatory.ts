import type { Command, Option } from 'commander';

/**
 * Commander checks required options before unknown ones, so `run --modle x` says "required
 * option '--model' not specified" instead of naming the typo. This moves the required-option
 * check after the unknown-option check (a preAction hook runs after it) and keeps commander's
 * wording, so a typo gets "unknown option '--modle' (Did you mean --model?)".
 */
export function checkRequiredOptionsAfterUnknown(program: Command): void {
  const required = new Map<Command, Option[]>();
  const visit = (cmd: Command) => {
    const opts = cmd.options.filter((o) => o.mandatory);
    if (opts.length) required.set(cmd, opts);
    for (const o of opts) o.mandatory = false;
    for (const sub of cmd.commands) visit(sub);
  };
  visit(program);
  program.hook('preAction', (_root, action) => {
    for (const o of required.get(action) ?? []) {
      if (action.getOptionValue(o.attributeName()) === undefined) {
        action.error(`error: required option '${o.flags}' not specified`, { code: 'commander.missingMandatoryOptionValue' });
      }
    }
  });
}
