// @ts-check
// Compare two runs: the paired difference per k with its bootstrap interval and permutation
// p-value, then the tasks where they differ, each opening both runs side by side.
import { api, meta } from './api.js';
import { go, href } from './router.js';
import { badge, ci, h, pct, resultSetTitle } from './dom.js';

/**
 * @typedef {import('../api-types.js').OverviewAnswer} OverviewAnswer
 * @typedef {import('../api-types.js').CompareAnswer} CompareAnswer
 * @typedef {OverviewAnswer['runs'][number] & { multi: boolean }} RunChoice
 */

/**
 * @param {'a' | 'b'} name
 * @param {RunChoice[]} runs
 * @param {string} value
 * @param {URLSearchParams} params
 */
function runSelect(name, runs, value, params) {
  return h(
    'select',
    {
      id: `pick-${name}`,
      'aria-label': `result set ${name.toUpperCase()}`,
      onchange: (/** @type {Event} */ e) => {
        const p = new URLSearchParams(params);
        p.set(name, /** @type {HTMLSelectElement} */ (e.target).value);
        go(['compare'], p);
      },
    },
    h('option', { value: '' }, 'choose a result set…'),
    runs.map((r) => h('option', { value: r.key, selected: r.key === value, title: resultSetTitle(r) }, `${r.model} · ${r.experiment}${r.multi ? ` · run ${r.source}` : ''}`)),
  );
}

/**
 * @param {CompareAnswer} data
 * @param {CompareAnswer['per_k']} rowsIn
 * @param {string} metric
 */
function pairedTable(data, rowsIn, metric) {
  return h(
    'table',
    { class: metric === 'pass' ? 'grid cmp' : 'grid cmp-split' },
    h('thead', null, h('tr', null, ['k', 'A', 'B', 'B − A', '95% CI', 'p', 'B better', 'A better', 'ties'].map((x) => h('th', { class: x === 'k' ? '' : 'num' }, x)))),
    h(
      'tbody',
      null,
      rowsIn.map((c) =>
        h(
          'tr',
          { 'data-metric': `${metric}@${c.k}` },
          h('td', null, `${metric}@${c.k}`),
          h('td', { class: 'num' }, pct(c.mean_a)),
          h('td', { class: 'num' }, pct(c.mean_b)),
          h('td', { class: `num ${c.diff > 0 ? 'up' : c.diff < 0 ? 'down' : ''}` }, `${c.diff > 0 ? '+' : ''}${pct(c.diff)}`),
          h('td', { class: 'num' }, ci(c.ci)),
          h('td', { class: 'num' }, c.p_text),
          h('td', { class: 'num' }, String(c.b_better)),
          h('td', { class: 'num' }, String(c.a_better)),
          h('td', { class: 'num' }, String(c.ties)),
        ),
      ),
    ),
  );
}

/** @param {CompareAnswer} data */
function summary(data) {
  if (!data.scored) return h('p', { class: 'muted' }, 'Scores are not ready yet, or the result sets share no counted task.');
  return pairedTable(data, data.per_k, 'pass');
}

/** @param {CompareAnswer} data */
function splitSummary(data) {
  const s = data.split;
  if (!s) return null;
  const v = s.vulnerable;
  const signed = (/** @type {number | null} */ x) => (x === null ? 'n/a' : `${x > 0 ? '+' : ''}${pct(x)}`);
  return h(
    'section',
    { class: 'card', id: 'split-compare' },
    h('h2', null, 'Functional and secure (--split)'),
    s.func_sec.length ? pairedTable(data, s.func_sec, 'func-sec') : h('p', { class: 'muted' }, 'No task both result sets can split.'),
    h(
      'p',
      { class: 'small', id: 'vulnerable-compare' },
      'Vulnerable rate (share of functional samples that fail a security check): A ',
      h('strong', null, pct(v.a)),
      ' · B ',
      h('strong', null, pct(v.b)),
      ' · B − A ',
      h('strong', { class: v.diff === null ? '' : v.diff > 0 ? 'down' : v.diff < 0 ? 'up' : '' }, signed(v.diff)),
      ' (lower is better).',
    ),
    h('p', { class: 'muted small' }, `func-sec: over the ${s.tasks} tasks both result sets can split (a functional and a security check); same paired interval and test as pass@k.`),
  );
}

/**
 * @param {CompareAnswer} data
 * @param {Record<string, string>} names
 */
function perCwe(data, names) {
  if (!data.per_cwe.length) return null;
  const anySplit = data.per_cwe.some((r) => r.func_sec.a !== null || r.func_sec.b !== null);
  const k = data.ks[0] ?? 1;
  /** @param {{ a: number | null, b: number | null, diff: number | null }} x @param {boolean} lowerBetter */
  const cells = (x, lowerBetter) => [
    h('td', { class: 'num' }, pct(x.a)),
    h('td', { class: 'num' }, pct(x.b)),
    h('td', { class: `num ${x.diff === null || x.diff === 0 ? '' : (x.diff > 0) !== lowerBetter ? 'up' : 'down'}` }, x.diff === null ? '' : `${x.diff > 0 ? '+' : ''}${pct(x.diff)}`),
  ];
  const rows = [...data.per_cwe].sort((x, y) => Math.abs(y.pass.diff ?? 0) - Math.abs(x.pass.diff ?? 0) || x.group.localeCompare(y.group, 'en', { numeric: true }));
  return h(
    'section',
    { class: 'card' },
    h('h2', null, 'Per CWE'),
    h(
      'div',
      { class: 'scroll' },
      h(
        'table',
        { class: 'grid cmp-cwe' },
        h(
          'thead',
          null,
          h('tr', null, h('th', null, 'CWE'), h('th', { class: 'num' }, 'tasks'), h('th', { class: 'num', colspan: 3 }, `pass@${k}: A · B · B − A`), anySplit ? [h('th', { class: 'num', colspan: 3 }, `func-sec@${k}`), h('th', { class: 'num', colspan: 3 }, 'vulnerable')] : null),
        ),
        h(
          'tbody',
          null,
          rows.map((r) =>
            h(
              'tr',
              { 'data-cwe': r.group },
              h('td', { title: names[r.group] || undefined }, r.group, names[r.group] ? h('span', { class: 'cwe-name' }, names[r.group]) : null),
              h('td', { class: 'num' }, r.tasks_a === r.tasks_b ? String(r.tasks_a) : `${r.tasks_a} / ${r.tasks_b}`),
              cells(r.pass, false),
              anySplit ? [cells(r.func_sec, false), cells(r.vulnerable, true)] : null,
            ),
          ),
        ),
      ),
    ),
    h('p', { class: 'muted small' }, 'Sorted by the size of the pass@k difference. Per-CWE groups are small: read them as where to look, not as tested differences.'),
  );
}

const SHOW = /** @type {const} */ ([
  ['flips', 'passes in one, fails in the other'],
  ['differ', 'any difference'],
  ['all', 'all shared tasks'],
]);

/** @param {URLSearchParams} params */
export async function comparePage(params) {
  const [overview, m] = /** @type {[OverviewAnswer, import('../api-types.js').MetaAnswer]} */ (await Promise.all([api('overview'), meta()]));
  const multi = overview.sources.length > 1;
  const runs = overview.runs.map((r) => ({ ...r, multi }));
  const a = params.get('a') || '';
  const b = params.get('b') || '';
  const head = h(
    'div',
    { class: 'card pickers' },
    h('label', null, 'A (baseline) ', runSelect('a', runs, a, params)),
    h('label', null, 'B ', runSelect('b', runs, b, params)),
    a && b ? h('button', { class: 'btn', onclick: () => go(['compare'], new URLSearchParams({ ...Object.fromEntries(params), a: b, b: a })) }, 'swap') : null,
  );
  if (!a || !b) return h('div', { class: 'page' }, h('div', { class: 'title' }, h('h1', null, 'Compare')), head, h('p', { class: 'muted pad' }, 'Pick two result sets (model × experiment).'));
  const data = /** @type {CompareAnswer} */ (await api('compare', new URLSearchParams({ a, b })));
  const show = params.get('show') || 'flips';
  const rows = data.rows
    .filter((r) => (show === 'all' ? true : show === 'differ' ? r.diff !== 0 : r.flip === 'a-only' || r.flip === 'b-only'))
    .sort((x, y) => Math.abs(y.diff) - Math.abs(x.diff) || x.id.localeCompare(y.id));
  const counts = {
    flips: data.rows.filter((r) => r.flip === 'a-only' || r.flip === 'b-only').length,
    differ: data.rows.filter((r) => r.diff !== 0).length,
    all: data.rows.length,
  };
  const name = (/** @type {{ model: string, experiment: string, source: string }} */ r) => `${r.model} · ${r.experiment}${multi ? ` · run ${r.source}` : ''}`;
  const sideBySide = new URLSearchParams();
  sideBySide.append('run', a);
  sideBySide.append('run', b);
  return h(
    'div',
    { class: 'page compare-page' },
    h('div', { class: 'title' }, h('h1', null, 'Compare'), h('span', { class: 'muted' }, `${name(data.a)} → ${name(data.b)} · ${data.tasks} tasks counted in both`)),
    head,
    h('section', { class: 'card' }, h('h2', null, 'Paired difference'), summary(data), h('p', { class: 'muted small' }, 'Over the tasks both result sets count; interval: paired bootstrap over tasks; p: two-sided sign-flip permutation test (2000).')),
    splitSummary(data),
    perCwe(data, m.cweNames),
    h(
      'section',
      { class: 'card' },
      h(
        'div',
        { class: 'row-between' },
        h('h2', null, 'Tasks'),
        h(
          'div',
          { class: 'seg-toggle' },
          SHOW.map(([k, label]) =>
            h('button', { class: `show-mode ${show === k ? 'on' : ''}`, 'data-show': k, onclick: () => go(['compare'], new URLSearchParams({ ...Object.fromEntries(params), show: k })) }, `${label} (${counts[k]})`),
          ),
        ),
      ),
      rows.length
        ? h(
            'table',
            { class: 'grid cmp-tasks' },
            h('thead', null, h('tr', null, ['Task', 'CWE', '', 'A passed', 'B passed', 'Δ pass@1', ''].map((x) => h('th', null, x)))),
            h(
              'tbody',
              null,
              rows.map((r) =>
                h(
                  'tr',
                  { 'data-task': r.id },
                  h('td', null, h('a', { class: 'task-link', href: href(['task', r.id], sideBySide) }, r.id)),
                  h('td', null, r.cwe || ''),
                  h('td', null, r.broken ? badge('broken', 'b-broken') : ''),
                  h('td', { class: 'num' }, `${r.a.c}/${r.a.n}`),
                  h('td', { class: 'num' }, `${r.b.c}/${r.b.n}`),
                  h('td', { class: `num ${r.diff > 0 ? 'up' : r.diff < 0 ? 'down' : ''}` }, `${r.diff > 0 ? '+' : ''}${pct(r.diff)}`),
                  h('td', null, r.flip === 'a-only' ? badge('only A passes', 'b-a') : r.flip === 'b-only' ? badge('only B passes', 'b-b') : ''),
                ),
              ),
            ),
          )
        : h('p', { class: 'muted' }, 'No task in this view.'),
    ),
  );
}
