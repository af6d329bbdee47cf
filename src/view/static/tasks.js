// @ts-check
// Task explorer: filters (runs, subset, CWE, status, verdict, broken tasks, free text) with
// counts that follow the other filters; one row per task with its samples' outcomes.
import { api, meta } from './api.js';
import { badge, h, heat, pct, statusBar } from './dom.js';
import { go, href, pick, replaceParams } from './router.js';

/**
 * @typedef {import('../api-types.js').TasksAnswer} TasksAnswer
 * @typedef {import('../api-types.js').MetaAnswer} Meta
 * @typedef {TasksAnswer['rows'][number]} Row
 * @typedef {{ value: string, tasks: number }} FacetValue
 */

/**
 * @param {string} title
 * @param {string} key
 * @param {FacetValue[]} facet
 * @param {URLSearchParams} params
 * @param {{ multi?: boolean, label?: (v: string) => string }} [opts]
 */
function facetList(title, key, facet, params, { multi = false, label = (v) => v } = {}) {
  const current = params.getAll(key);
  const items = facet.map((f) => {
    const on = current.includes(f.value);
    return h(
      'li',
      null,
      h(
        'button',
        {
          class: `facet ${on ? 'on' : ''} ${f.tasks ? '' : 'empty'}`,
          'data-facet': key,
          'data-value': f.value,
          onclick: () => {
            const p = new URLSearchParams(params);
            if (multi) {
              p.delete(key);
              const next = on ? current.filter((v) => v !== f.value) : [...current, f.value];
              for (const v of next) p.append(key, v);
            } else if (on) p.delete(key);
            else p.set(key, f.value);
            go(['tasks'], p);
          },
        },
        h('span', { class: 'fv' }, label(f.value)),
        h('span', { class: 'count' }, String(f.tasks)),
      ),
    );
  });
  return h('div', { class: 'facet-group' }, h('h3', null, title), h('ul', { class: 'plain facets' }, items));
}

/**
 * @param {TasksAnswer} data
 * @param {URLSearchParams} params
 * @param {Meta} m
 */
function sidebar(data, params, m) {
  const search = h('input', {
    type: 'search',
    id: 'search',
    placeholder: 'Search IDs, problems, code…',
    value: params.get('q') || '',
    'aria-label': 'search',
  });
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  search.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      const p = new URLSearchParams(params);
      if (search.value) p.set('q', search.value);
      else p.delete('q');
      replaceParams(p);
      window.dispatchEvent(new HashChangeEvent('hashchange'));
    }, 300);
  });
  const cwe = h(
    'select',
    {
      id: 'cwe-filter',
      'aria-label': 'CWE',
      onchange: (/** @type {Event} */ e) => {
        const p = new URLSearchParams(params);
        const v = /** @type {HTMLSelectElement} */ (e.target).value;
        if (v) p.set('cwe', v);
        else p.delete('cwe');
        go(['tasks'], p);
      },
    },
    h('option', { value: '' }, 'all CWEs'),
    data.facets.cwe.map((f) => h('option', { value: f.value, selected: params.get('cwe') === f.value }, `${f.value} (${f.tasks})`)),
  );
  const runFilter = params.getAll('run');
  const anyVerdict = data.facets.verdict.some((f) => f.tasks > 0);
  return h(
    'aside',
    { class: 'filters' },
    search,
    runFilter.length
      ? h('div', { class: 'facet-group' }, h('h3', null, 'Runs'), h('ul', { class: 'plain' }, runFilter.map((k) => h('li', { class: 'small' }, h('code', null, k)))),
          h('button', { class: 'link', onclick: () => { const p = new URLSearchParams(params); p.delete('run'); go(['tasks'], p); } }, 'all runs'))
      : null,
    facetList('Model', 'model', data.facets.model, params, { multi: true }),
    facetList('Experiment', 'exp', data.facets.experiment, params, { multi: true }),
    facetList('Subset', 'subset', data.facets.subset, params),
    h('div', { class: 'facet-group' }, h('h3', null, 'CWE'), cwe),
    facetList('Status (any sample)', 'status', data.facets.status.filter((f) => f.tasks || params.get('status') === f.value), params),
    anyVerdict ? facetList('Verdict (any sample)', 'verdict', data.facets.verdict, params) : null,
    facetList('Broken tasks', 'broken', data.facets.broken.filter((f) => f.value !== 'show'), params, { label: (v) => (v === 'hide' ? 'hide broken' : 'only broken') }),
    m.filterKeys.some((k) => params.has(k)) ? h('button', { class: 'btn small', onclick: () => go(['tasks'], new URLSearchParams()) }, 'Clear filters') : null,
  );
}

/**
 * @param {Row} row
 * @param {TasksAnswer} data
 * @param {URLSearchParams} params
 * @param {Meta} m
 */
function taskRow(row, data, params, m) {
  const link = pick(params, m.filterKeys);
  const strip = h('span', { class: 'strip' });
  row.perRun.forEach((nc, i) => {
    const r = data.runs[i];
    if (!r) return;
    const cell = h('span', { class: 'cell', title: nc ? `${r.model} · ${r.experiment}: ${nc[1]}/${nc[0]} passed` : `${r.model} · ${r.experiment}: no samples` });
    if (nc) heat(cell, nc[1] / nc[0]);
    else cell.classList.add('na');
    strip.appendChild(cell);
  });
  const v = row.verdicts;
  return h(
    'tr',
    { 'data-task': row.id },
    h('td', null, h('a', { class: 'task-link', href: href(['task', row.id], link) }, row.id)),
    h('td', null, row.subset),
    h('td', null, row.cwe || ''),
    h('td', null, row.broken ? badge('broken', 'b-broken') : ''),
    h('td', { class: 'num' }, `${row.c}/${row.n}`, h('span', { class: 'ci' }, `${pct(row.c / row.n, 0)}%`)),
    h('td', null, statusBar(row.statuses, row.n, m.statuses)),
    h('td', { class: 'small' }, v.secure + v.vulnerable + v.wrong ? [badge(String(v.secure), 'v-secure', 'secure samples'), badge(String(v.vulnerable), 'v-vulnerable', 'vulnerable samples'), badge(String(v.wrong), 'v-wrong', 'wrong samples')] : ''),
    h('td', null, strip),
  );
}

/** @param {URLSearchParams} params */
export async function tasksPage(params) {
  const m = await meta();
  const data = /** @type {TasksAnswer} */ (await api('tasks', pick(params, m.filterKeys)));
  const page = h(
    'div',
    { class: 'page tasks-page' },
    sidebar(data, params, m),
    h(
      'section',
      { class: 'results' },
      h(
        'div',
        { class: 'title' },
        h('h1', null, 'Tasks'),
        h('span', { class: 'muted', id: 'task-count' }, `${data.rows.length} task${data.rows.length === 1 ? '' : 's'} · ${data.samples} samples in ${data.runs.length} run${data.runs.length === 1 ? '' : 's'}`),
      ),
      data.rows.length
        ? h('div', { class: 'scroll' }, h(
            'table',
            { class: 'grid tasks' },
            h('thead', null, h('tr', null, ['Task', 'Subset', 'CWE', '', 'Passed', 'Statuses', 'Verdicts', 'Per run'].map((t) => h('th', null, t)))),
            h('tbody', null, data.rows.map((r) => taskRow(r, data, params, m))),
          ))
        : h('p', { class: 'muted pad' }, 'No task matches these filters.'),
      h('p', { class: 'muted small' }, 'Statuses and verdicts count the samples of the selected runs; “per run” has one square per run, green when its samples pass.'),
    ),
  );
  if (params.get('q')) {
    // Keep typing where it was after the results refresh.
    queueMicrotask(() => {
      const s = document.getElementById('search');
      if (s instanceof HTMLInputElement && document.activeElement !== s && location.hash.includes('q=')) {
        s.focus();
        s.setSelectionRange(s.value.length, s.value.length);
      }
    });
  }
  return page;
}
