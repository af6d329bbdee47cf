/**
 * Whether a problem statement lays out numbered steps.
 *
 * Definition: a numbered list that starts at 1 and goes on to 2 — some line begins with item
 * 1 and a later line begins with item 2 written the same way. Accepted markers, after
 * optional indentation and a markdown bullet or heading mark: `1.`, `1)`, `(1)`, `1:` and
 * `Step 1` (any case, followed by `.`, `:`, `)` or a space). `1.` may be followed directly by
 * a letter (upstream has "3.The new blog post..."), never by a digit, so "3.11" is no item. Requiring both 1 and 2 keeps a
 * lone "1." in an example's output, a year or a version number from counting, and a list
 * that skips a number later (1, 2, 4) still counts.
 *
 * On the pinned CodeSecEval data this gives 86 of 180 vulnerability-aware problems (39 of
 * 67 SecEvalBase, 47 of 113 SecEvalPlus); every one of them is a plain "1. ... 2. ..." list,
 * and none of the other 94 has any numbered line, so looser or stricter readings of
 * "numbered steps" give the same 86. The paper reports 85 (see README).
 */
const MARKER = /^\s*(?:[-*+>#]+\s*)?(?:(step)\s*(\d{1,2})\s*[.:)\s]|\((\d{1,2})\)\s|(\d{1,2})([.):])(?:\s|(?=[A-Za-z])))/i;

interface Marker {
  n: number;
  style: string;
}

function markerOf(line: string): Marker | null {
  const m = MARKER.exec(`${line} `);
  if (!m) return null;
  if (m[1]) return { n: Number(m[2]), style: 'step' };
  if (m[3]) return { n: Number(m[3]), style: '()' };
  return { n: Number(m[4]), style: m[5]! };
}

export function hasNumberedSteps(text: string): boolean {
  const firstSeen = new Set<string>();
  for (const line of text.split(/\r?\n/)) {
    const mk = markerOf(line);
    if (!mk) continue;
    if (mk.n === 1) firstSeen.add(mk.style);
    else if (mk.n === 2 && firstSeen.has(mk.style)) return true;
  }
  return false;
}
