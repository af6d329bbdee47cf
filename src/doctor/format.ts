import type { CheckLevel, DoctorReport, ModuleCheck } from './doctor.js';

const MARK: Record<CheckLevel, string> = { ok: '✓', warn: '!', fail: '✗' };

function moduleLine(m: ModuleCheck): string {
  const used = m.usedBy ? ` (imported by ${m.usedBy} task${m.usedBy === 1 ? '' : 's'})` : '';
  switch (m.status) {
    case 'ok':
      return `  ✓ ${m.module}`;
    case 'shim':
      return `  ✓ ${m.module}: provided by shim (the real module is not installed)${used}`;
    case 'unchecked':
      return `  ? ${m.module}: not checked${used}`; // listed together by formatDoctorReport
    case 'missing': {
      const from = [m.debian && `apt ${m.debian}`, m.pip && `pip ${m.pip}`].filter(Boolean).join(', ');
      return `  ✗ ${m.module}: ${m.error ?? 'missing'}${from ? ` [${from}]` : ''}${used}`;
    }
  }
}

/** The human-readable report: one line per check, the modules, then what to install. */
export function formatDoctorReport(r: DoctorReport): string {
  const out: string[] = [];
  for (const c of r.checks) {
    out.push(`${MARK[c.level]} ${c.label}: ${c.detail}`);
    if (c.hint && c.level !== 'ok') out.push(`    ${c.hint}`);
  }
  const from = r.moduleSource === 'dataset' ? 'imported by the dataset' : 'known to be imported by CodeSecEval';
  out.push(`Python modules ${from}:`);
  // Working standard-library modules are many and uninteresting: one summary line.
  const stdOk = r.modules.filter((m) => m.status === 'ok' && m.stdlib === true);
  const unchecked = r.modules.filter((m) => m.status === 'unchecked');
  for (const m of r.modules) if (!stdOk.includes(m) && !unchecked.includes(m)) out.push(moduleLine(m));
  if (stdOk.length) out.push(`  ✓ ${stdOk.length} standard-library modules (${stdOk.map((m) => m.module).join(', ')})`);
  if (unchecked.length) out.push(`  ? ${unchecked.length} modules not checked without a working interpreter (${unchecked.map((m) => m.module).join(', ')})`);

  const { aptCommand, pipCommand, notes } = r.install;
  if (aptCommand || pipCommand || notes.length) {
    out.push('To install:');
    if (aptCommand) out.push(`  ${aptCommand}`);
    if (pipCommand) out.push(`  ${pipCommand}`);
    for (const n of notes) out.push(`  note: ${n}`);
  }
  out.push(closingLine(r));
  return out.join('\n');
}

/** A warning is not a pass: the closing line counts them so they are not read as "all good". */
function closingLine(r: DoctorReport): string {
  const warnings = r.checks.filter((c) => c.level === 'warn').length;
  const failures = r.checks.filter((c) => c.level === 'fail').length;
  const w = `${warnings} warning${warnings === 1 ? '' : 's'}`;
  if (!r.ok) return failures ? `Some checks failed (${failures} failed${warnings ? `, ${w}` : ''}).` : 'Some checks failed.';
  return warnings ? `Checks passed with ${w}.` : 'All checks passed.';
}
