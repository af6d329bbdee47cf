// @ts-check
// DOM helpers, a leaf module (it imports nothing of the app). Every piece of text, model output above all, enters the page as a text node
// (createTextNode / textContent): nothing here parses strings as HTML, so `</script>` or
// `<img onerror=...>` in a program is shown as the characters it is.

/**
 * @typedef {Node | string | number | null | undefined | false | ReadonlyArray<unknown>} Child nested arrays are flattened
 * @typedef {Record<string, unknown> | null} Attrs
 * @typedef {[string, string][]} Tokens one highlighted line: [class, text] pairs
 * @typedef {{ cls: string, note?: string, noteCls?: string }} Mark
 */

/**
 * Make an element. `attrs`: class, title, href, id, type, value, checked, disabled, data-*,
 * `on*` (event listeners) and `key` (kept in data-key). Children: nodes, strings (as text),
 * arrays, or null/false/undefined (skipped).
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Attrs} [attrs]
 * @param {...Child} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), /** @type {EventListener} */ (v));
      else if (k === 'class') el.className = String(v);
      else if (k === 'checked' || k === 'value' || k === 'disabled' || k === 'selected') /** @type {any} */ (el)[k] = v;
      else if (k === 'href') el.setAttribute('href', safeHref(String(v)));
      else el.setAttribute(k, String(v));
    }
  }
  append(el, children);
  return el;
}

/**
 * Only in-app links: a run's data can never become a javascript: or foreign URL.
 * @param {string} v
 */
function safeHref(v) {
  return v.startsWith('#') || v.startsWith('/') ? v : '#';
}

/**
 * @template {Node} E
 * @param {E} el
 * @param {Child[]} children
 * @returns {E}
 */
export function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
  return el;
}

/**
 * @template {Node} E
 * @param {E} el
 * @returns {E}
 */
export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

/**
 * A share as a percentage with `digits` decimals; null is "n/a".
 * @param {number | null | undefined} v
 * @param {number} [digits]
 */
export function pct(v, digits = 1) {
  return v === null || v === undefined ? 'n/a' : `${(v * 100).toFixed(digits)}`;
}

/** @param {[number, number] | null | undefined} iv */
export function ci(iv) {
  return iv ? `[${pct(iv[0])}, ${pct(iv[1])}]` : '';
}

/**
 * @param {string} text
 * @param {string} [cls]
 * @param {string} [title]
 */
export function badge(text, cls, title) {
  return h('span', { class: `badge ${cls || ''}`, title }, text);
}

/** @param {string} status */
export function statusBadge(status) {
  return badge(status, `s-${status}`);
}

/** @param {string | null} verdict */
export function verdictBadge(verdict) {
  return verdict ? badge(verdict, `v-${verdict}`, 'from the soft-assert run and the assert labels') : null;
}

/**
 * A stacked bar of status counts, in the server's status order; widths through the CSSOM
 * (allowed by the page's CSP).
 * @param {Record<string, number>} statuses
 * @param {number} total
 * @param {readonly string[]} order
 */
export function statusBar(statuses, total, order) {
  const bar = h('span', { class: 'sbar', title: order.filter((s) => statuses[s]).map((s) => `${s}: ${statuses[s]}`).join(', ') });
  for (const s of order) {
    if (!statuses[s]) continue;
    const seg = h('span', { class: `seg s-${s}` });
    seg.style.width = `${(100 * (statuses[s] ?? 0)) / total}%`;
    bar.appendChild(seg);
  }
  return bar;
}

/**
 * Red (0) to green (1) for heat cells; null is grey.
 * @template {HTMLElement} E
 * @param {E} el
 * @param {number | null | undefined} v
 * @returns {E}
 */
export function heat(el, v) {
  if (v === null || v === undefined) {
    el.classList.add('na');
    return el;
  }
  const hue = Math.round(v * 120);
  el.style.backgroundColor = `hsl(${hue} 70% ${88 - v * 10}%)`;
  return el;
}

/**
 * @param {Tokens} tokens
 * @param {number | null} no
 * @param {string} cls
 * @param {string} [marker]
 */
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
/**
 * @param {Tokens[]} lines
 * @param {Map<number, Mark>} [marks]
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
/**
 * @param {[string, number][]} ops
 * @param {Tokens[]} from
 * @param {Tokens[]} to
 */
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
/**
 * @param {string} text
 * @param {string} [cls]
 */
export function textBlock(text, cls) {
  return h('pre', { class: `text ${cls || ''}` }, text === '' ? '(empty)' : text);
}

/**
 * A collapsible section; `opts.key` lets it stay open across live refreshes.
 * @param {Child} summary
 * @param {Child} body
 * @param {{ class?: string, key?: string, open?: boolean }} [opts]
 */
export function details(summary, body, opts = {}) {
  const d = h('details', { class: opts.class || '', 'data-key': opts.key });
  if (opts.open) d.open = true;
  d.appendChild(h('summary', null, summary));
  append(d, [body]);
  return d;
}

/** Keys of the sections the user opened, so a refresh that rebuilds the page keeps them open. */
const openDetails = new Set();

/** Follow which keyed sections are open; called once by the entry module. */
export function trackDetails() {
  document.addEventListener(
    'toggle',
    (e) => {
      const t = /** @type {HTMLElement | null} */ (e.target);
      const key = t && t.dataset ? t.dataset.key : null;
      if (!key || !(t instanceof HTMLDetailsElement)) return;
      if (t.open) openDetails.add(key);
      else openDetails.delete(key);
    },
    true,
  );
}

/**
 * Re-open what the user had open before a refresh rebuilt the page.
 * @param {ParentNode} root
 */
export function restoreDetails(root) {
  for (const d of root.querySelectorAll('details[data-key]')) {
    if (d instanceof HTMLDetailsElement && openDetails.has(d.dataset.key)) d.open = true;
  }
}

/**
 * A result set's short name for headers; the title names its run folder too.
 * @param {{ model: string, experiment: string, source: string, folder: string }} r
 */
export function resultSetTitle(r) {
  return `${r.model} · ${r.experiment} · run ${r.source} (${r.folder})`;
}

/** @param {string} experiment */
export function shortExperiment(experiment) {
  return experiment.replace('vuln-aware-generation', 'vuln-aware').replace('direct-generation', 'direct-gen').replace('explained-repair', 'expl-repair');
}

