// DOM helpers. Every piece of text, model output above all, enters the page as a text node
// (createTextNode / textContent): nothing here parses strings as HTML, so `</script>` or
// `<img onerror=...>` in a program is shown as the characters it is.

/**
 * Make an element. `attrs`: class, title, href, id, type, value, checked, disabled, data-*,
 * `on*` (event listeners) and `key` (kept in data-key). Children: nodes, strings (as text),
 * arrays, or null/false/undefined (skipped).
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k === 'class') el.className = v;
      else if (k === 'checked' || k === 'value' || k === 'disabled' || k === 'selected') el[k] = v;
      else if (k === 'href') el.setAttribute('href', safeHref(String(v)));
      else el.setAttribute(k, String(v));
    }
  }
  append(el, children);
  return el;
}

/** Only in-app links: a run's data can never become a javascript: or foreign URL. */
function safeHref(v) {
  return v.startsWith('#') || v.startsWith('/') ? v : '#';
}

export function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function pct(v, digits = 1) {
  return v === null || v === undefined ? 'n/a' : `${(v * 100).toFixed(digits)}`;
}

export function ci(iv) {
  return iv ? `[${pct(iv[0])}, ${pct(iv[1])}]` : '';
}

export function badge(text, cls, title) {
  return h('span', { class: `badge ${cls || ''}`, title }, text);
}

export function statusBadge(status) {
  return badge(status, `s-${status}`);
}

export function verdictBadge(verdict) {
  return verdict ? badge(verdict, `v-${verdict}`, 'from the soft-assert run and the assert labels') : null;
}

export const STATUSES = ['passed', 'failed', 'error', 'timeout', 'memory', 'resource', 'killed', 'sandbox-error'];

/** A stacked bar of status counts; widths through the CSSOM (allowed by the page's CSP). */
export function statusBar(statuses, total) {
  const bar = h('span', { class: 'sbar', title: STATUSES.filter((s) => statuses[s]).map((s) => `${s}: ${statuses[s]}`).join(', ') });
  for (const s of STATUSES) {
    if (!statuses[s]) continue;
    const seg = h('span', { class: `seg s-${s}` });
    seg.style.width = `${(100 * statuses[s]) / total}%`;
    bar.appendChild(seg);
  }
  return bar;
}

/** Red (0) to green (1) for heat cells; null is grey. */
export function heat(el, v) {
  if (v === null || v === undefined) {
    el.classList.add('na');
    return el;
  }
  const hue = Math.round(v * 120);
  el.style.backgroundColor = `hsl(${hue} 70% ${88 - v * 10}%)`;
  return el;
}

function lineEl(tokens, no, cls, marker) {
  const src = h('span', { class: 'src' });
  for (const [c, t] of tokens) src.appendChild(c ? h('span', { class: `t-${c}` }, t) : document.createTextNode(t));
  if (!tokens.length) src.appendChild(document.createTextNode('\u200b'));
  return h('div', { class: `ln ${cls || ''}`, 'data-line': no ?? '' }, h('span', { class: 'no' }, no ?? ''), marker !== undefined ? h('span', { class: 'mk' }, marker) : null, src);
}

/**
 * Highlighted code from server tokens: lines of [class, text]. `marks` maps a 1-based line
 * to {cls, note}; the note is shown at the end of the line.
 */
export function codeView(lines, marks) {
  const box = h('div', { class: 'code' });
  lines.forEach((tokens, i) => {
    const m = marks && marks.get(i + 1);
    const el = lineEl(tokens, i + 1, m ? m.cls : '');
    if (m && m.note) el.appendChild(h('span', { class: `note ${m.noteCls || ''}` }, m.note));
    box.appendChild(el);
  });
  return box;
}

/** A line diff (ops from the server) between a reference and the program, both tokenised. */
export function diffView(ops, from, to) {
  const box = h('div', { class: 'code diff' });
  let changed = 0;
  for (const [op, i] of ops) {
    if (op === '-') box.appendChild(lineEl(from[i] || [], null, 'del', '-'));
    else if (op === '+') box.appendChild(lineEl(to[i] || [], i + 1, 'add', '+'));
    else box.appendChild(lineEl(to[i] || [], i + 1, '', ' '));
    if (op !== ' ') changed++;
  }
  if (!changed) box.prepend(h('div', { class: 'ln same' }, h('span', { class: 'src' }, 'identical to the reference (ignoring trailing spaces)')));
  return box;
}

/** Plain text (model answers, outputs) in a pre, as text. */
export function textBlock(text, cls) {
  return h('pre', { class: `text ${cls || ''}` }, text === '' ? '(empty)' : text);
}

export function details(summary, body, opts = {}) {
  const d = h('details', { class: opts.class || '', 'data-key': opts.key });
  if (opts.open) d.open = true;
  d.appendChild(h('summary', null, summary));
  append(d, [body]);
  return d;
}
