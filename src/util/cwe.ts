/**
 * CWE identifiers as they appear in task IDs. SecEvalBase writes "CWE-020", SecEvalPlus
 * "CWE-20"; both are the same weakness, so numbers are compared without leading zeros, and
 * CWE-20 and CWE-200 stay distinct because the whole number is compared.
 */
const CWE_IN_ID = /CWE-(\d+)/g;

export function normaliseCwe(raw: string): string {
  const m = /^CWE-(\d+)$/.exec(raw.trim());
  if (!m) throw new Error(`not a CWE identifier: ${raw}`);
  return `CWE-${Number(m[1])}`;
}

/** All CWE identifiers named by the leading part of a task ID (before its serial suffix). */
export function cwesOfTaskId(id: string): string[] {
  const out: string[] = [];
  for (const m of id.matchAll(CWE_IN_ID)) out.push(`CWE-${Number(m[1])}`);
  return [...new Set(out)];
}

/** The grouping key: the merged authorization type ("CWE-862/CWE-287/...") counts as one. */
export function cweGroupOfTaskId(id: string): string | null {
  const cwes = cwesOfTaskId(id);
  return cwes.length ? cwes.join('/') : null;
}

/** Fixture folder name for a task ID: upstream replaces "/" with "_". */
export function fixtureNameOf(id: string): string {
  const name = id.replaceAll('/', '_').replaceAll('\0', '_');
  // "." or ".." would name the workspace or its parent: task IDs come from data files.
  return /^\.*$/.test(name) ? name.replaceAll('.', '_') || '_' : name;
}
