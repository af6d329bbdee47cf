// @ts-check
// Compare two runs: the paired difference per k with its bootstrap interval and permutation
// p-value, then the tasks where they differ, each opening both runs side by side.
import { api } from './api.js';
import { go, href } from './router.js';
import { badge, ci, h, pct } from './dom.js';

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
      'aria-label': `run ${name.toUpperCase()}`,
      onchange: (/** @type {Event} */ e) => {
        const p = new URLSearchParams(params);
        p.set(name, /** @type {HTMLSelectElement} */ (e.target).value);
        go(['compare'], p);
      },
    },
    h('option', { value: '' }, 'choose a run…'),
    runs.map((r) => h('option', { value: r.key, selected: r.key === value }, `${r.model} · ${r.experiment}${r.multi ? ` · ${r.source}` : ''}`)),
  );
}

/** @param {CompareAnswer} data */
function summary(data) {
  if (!data.scored) return h('p', { class: 'muted' }, 'Scores are not ready yet, or the runs share no counted task.');
  return h(
    'table',
    { class: 'grid cmp' },
    h('thead', null, h('tr', null, ['k', 'A', 'B', 'B − A', '95% CI', 'p', 'B better', 'A better', 'ties'].map((x) => h('th', { class: x === 'k' ? '' : 'num' }, x)))),
    h(
      'tbody',
      null,
      data.per_k.map((c) =>
        h(
          'tr',
          null,
          h('td', null, `pass@${c.k}`),
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

const SHOW = /** @type {const} */ ([
  ['flips', 'passes in one, fails in the other'],
  ['differ', 'any difference'],
  ['all', 'all shared tasks'],
]);

/** @param {URLSearchParams} params */
export async function comparePage(params) {
  const overview = /** @type {OverviewAnswer} */ (await api('overview'));
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
  if (!a || !b) return h('div', { class: 'page' }, h('div', { class: 'title' }, h('h1', null, 'Compare')), head, h('p', { class: 'muted pad' }, 'Pick two runs.'));
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
  const name = (/** @type {{ model: string, experiment: string }} */ r) => `${r.model} · ${r.experiment}`;
  const sideBySide = new URLSearchParams();
  sideBySide.append('run', a);
  sideBySide.append('run', b);
  return h(
    'div',
    { class: 'page compare-page' },
    h('div', { class: 'title' }, h('h1', null, 'Compare'), h('span', { class: 'muted' }, `${name(data.a)} → ${name(data.b)} · ${data.tasks} tasks counted in both`)),
    head,
    h('section', { class: 'card' }, h('h2', null, 'Paired difference'), summary(data), h('p', { class: 'muted small' }, 'Over the tasks both runs count; interval: paired bootstrap over tasks; p: two-sided sign-flip permutation test (2000).')),
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
