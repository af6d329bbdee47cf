/** Numbers and text as the human-readable report formats (Markdown, HTML) show them. */

/** pass@k as a percentage with one decimal, "n/a" when not available. */
export function pct(v: number | null): string {
  return v === null ? 'n/a' : (v * 100).toFixed(1);
}

export function signedPct(v: number): string {
  const s = (v * 100).toFixed(1);
  return v > 0 ? `+${s}` : s === '-0.0' ? '0.0' : s;
}

export function interval(ci: [number, number] | null): string {
  return ci === null ? 'n/a' : `${pct(ci[0])}–${pct(ci[1])}`;
}

export function signedInterval(ci: [number, number]): string {
  return `[${signedPct(ci[0])}, ${signedPct(ci[1])}]`;
}

export { formatPValue as pValue } from '../score/p-value.js';

const HTML_SPECIAL = /[&<>"']/;

/** Escape text for HTML content and attribute values; most strings need nothing, so check first. */
export function escapeHtml(s: string): string {
  if (!HTML_SPECIAL.test(s)) return s;
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** "1 broken task", "3 broken tasks". */
export function count(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`;
}
