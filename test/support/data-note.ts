/**
 * Tests that need upstream data the machine lacks are skipped as placeholder tests named
 * `needs the <what>…`; the summary reporter finds them by that name and prints how to get the
 * data once, whatever the number of tests skipped.
 */
export const NEEDS_PREFIX = 'needs the ';

export const DATA = {
  codeseceval: { what: 'CodeSecEval data', hint: 'get it with `npx codeseceval dataset fetch`, or set CODESECEVAL_DATASET=DIR' },
  humaneval: { what: 'HumanEval data', hint: 'set CODESECEVAL_HUMANEVAL=FILE (a HumanEval.jsonl)' },
  sallm: { what: 'SALLM data', hint: 'get it with `npx codeseceval dataset fetch sallm`, or set CODESECEVAL_SALLM=DIR' },
  cweval: { what: 'CWEval data', hint: 'get it with `npx codeseceval dataset fetch cweval`, or set CODESECEVAL_CWEVAL=DIR' },
} as const;

/** The one line printed for each kind of data that was missing. */
export function skipNote(skippedNames: readonly string[]): string[] {
  return Object.values(DATA)
    .filter((d) => skippedNames.some((n) => n.startsWith(NEEDS_PREFIX + d.what)))
    .map((d) => `${d.what} not found: tests that need it were skipped; ${d.hint}`);
}
