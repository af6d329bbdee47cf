import { canSplit } from './labels.js';
import { recordLabels } from './validation.js';
import { ASSERT_LABELS, type LabelCounts, type ValidationRecord } from '../core/validation.js';

export interface LabelSummary {
  /** Records that carry labels. */
  labelled: number;
  counts: LabelCounts;
  /** Trailing statements labelled security. */
  securityStatements: number;
  /** Tasks with a functional and a security check: the ones func@k and func-sec@k use. */
  splittable: number;
  /** Tasks validate calls ok whose Insecure Code fails no labelled security check, and why. */
  okWithoutSecurity: { taskId: string; why: string }[];
  /** Tasks validate calls ok whose Insecure Code fails every assert: no functional assert is left. */
  okWithoutFunctional: number;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function labelSummary(records: readonly ValidationRecord[]): LabelSummary {
  const counts: LabelCounts = { functional: 0, security: 0, broken: 0, unlabelled: 0 };
  const summary: LabelSummary = { labelled: 0, counts, securityStatements: 0, splittable: 0, okWithoutSecurity: [], okWithoutFunctional: 0 };
  for (const r of records) {
    const lab = recordLabels(r);
    if (!lab) continue;
    summary.labelled++;
    for (const k of ASSERT_LABELS) counts[k] += lab.counts[k];
    const secStatements = lab.statements.filter((s) => s.label === 'security').length;
    summary.securityStatements += secStatements;
    if (canSplit(lab)) summary.splittable++;
    if (r.verdict !== 'ok') continue;
    if (lab.counts.functional === 0 && lab.counts.security > 0) summary.okWithoutFunctional++;
    if (lab.counts.security + secStatements === 0) summary.okWithoutSecurity.push({ taskId: r.task_id, why: noSecurityReason(r) });
  }
  return summary;
}

function noSecurityReason(r: ValidationRecord): string {
  const ins = r.soft_runs?.insecure;
  if (ins && !ins.outcome) return `the Insecure Code's soft run never reached the end of check (${ins.status}: ${ins.detail.slice(0, 100)})`;
  if (r.assert_labels?.length === 0) return 'check has no assert';
  return 'no assert fails with the Insecure Code';
}

/** Per-task label counts, then totals and the ok tasks that have no security check. */
export function formatLabelTable(records: readonly ValidationRecord[]): string {
  const rows = records.flatMap((r) => {
    const lab = recordLabels(r);
    if (!lab) return [];
    const sec = lab.statements.filter((s) => s.label === 'security').length;
    const note = !lab.known ? 'no soft outcome from the Secure Code' : sec ? `+${plural(sec, 'security statement')}` : '';
    return [[r.task_id, r.verdict, ...ASSERT_LABELS.map((k) => String(lab.counts[k])), note]];
  });
  const header = ['task', 'verdict', 'functional', 'security', 'broken', 'unlabelled', ''];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i >= 2 && i < 6 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  const s = labelSummary(records);
  const out = ['Assert labels per task (from soft-assert runs of the Secure and Insecure Code):', line(header), ...rows.map(line)];
  out.push(
    '',
    `${plural(s.labelled, 'task')} labelled: ${ASSERT_LABELS.map((k) => `${s.counts[k]} ${k}`).join(', ')} asserts` +
      (s.securityStatements ? `, ${plural(s.securityStatements, 'security statement')}` : ''),
    `${plural(s.splittable, 'task')} with both a functional and a security check (func@k, func-sec@k and the vulnerable rate use these)`,
  );
  if (s.okWithoutFunctional) {
    out.push(`${plural(s.okWithoutFunctional, 'ok task')} without a functional assert (the Insecure Code fails every assert): left out of func@k and func-sec@k`);
  }
  if (s.okWithoutSecurity.length) {
    out.push('', `${plural(s.okWithoutSecurity.length, 'ok task')} without a security check (the Insecure Code fails no assert the Secure Code passes):`);
    for (const t of s.okWithoutSecurity) out.push(`  ${t.taskId}: ${t.why}`);
  }
  return out.join('\n');
}
