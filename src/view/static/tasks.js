// @ts-check
// Task explorer: filters (runs, subset, CWE, status, verdict, broken tasks, free text) with
// counts that follow the other filters; one row per task with its samples' outcomes.
import { api, meta } from './api.js';
import { badge, h, heat, pct, resultSetTitle, shortExperiment, statusBar } from './dom.js';
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
    data.facets.cwe.map((f) => h('option', { value: f.value, selected: params.get('cwe') === f.value }, `${f.value}${m.cweNames[f.value] ? ` ${m.cweNames[f.value]}` : ''} (${f.tasks})`)),
  );
  const runFilter = params.getAll('run');
  const anyVerdict = data.facets.verdict.some((f) => f.tasks > 0);
  return h(
    'aside',
    { class: 'filters' },
    search,
    runFilter.length
      ? h('div', { class: 'facet-group' }, h('h3', null, 'Result sets'), h('ul', { class: 'plain' }, runFilter.map((k) => h('li', { class: 'small' }, h('code', null, k)))),
          h('button', { class: 'link', onclick: () => { const p = new URLSearchParams(params); p.delete('run'); go(['tasks'], p); } }, 'all result sets'))
      : null,
    facetList('Model', 'model', data.facets.model, params, { multi: true }),
    facetList('Experiment', 'exp', data.facets.experiment, params, { multi: true }),
    data.facets.benchmark.length > 1 ? facetList('Benchmark', 'benchmark', data.facets.benchmark, params) : null,
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
  const v = row.verdicts;
  const cweName = row.cwe ? m.cweNames[row.cwe] : '';
  return h(
    'tr',
    { 'data-task': row.id },
    h('th', { class: 'sticky', scope: 'row' }, h('a', { class: 'task-link', href: href(['task', row.id], link) }, row.id)),
    data.facets.benchmark.length > 1 ? h('td', null, row.benchmark) : null,
    h('td', null, row.subset),
    h('td', { class: 'cwe', title: cweName || undefined }, row.cwe || '', cweName ? h('span', { class: 'cwe-name' }, cweName) : null),
    h('td', null, row.broken ? badge('broken', 'b-broken') : ''),
    h('td', { class: 'num' }, `${row.c}/${row.n}`, h('span', { class: 'ci' }, `${pct(row.c / row.n, 0)}%`)),
    h('td', null, statusBar(row.statuses, row.n, m.statuses)),
    h('td', { class: 'small' }, v.secure + v.vulnerable + v.wrong ? [badge(String(v.secure), 'v-secure', 'secure samples'), badge(String(v.vulnerable), 'v-vulnerable', 'vulnerable samples'), badge(String(v.wrong), 'v-wrong', 'wrong samples')] : ''),
    row.perRun.map((nc, i) => {
      const r = data.runs[i];
      const title = r ? `${resultSetTitle(r)}: ${nc ? `${nc[1]}/${nc[0]} passed` : 'no samples'}` : '';
      const cell = h('td', { class: `mx ${nc ? (nc[1] === nc[0] ? 'all' : nc[1] ? 'some' : 'none') : 'na'}`, title }, nc ? `${nc[1]}/${nc[0]}` : '');
      return nc ? heat(cell, nc[1] / nc[0]) : cell;
    }),
  );
}

/**
 * A header that sorts the table by its column (the order is kept in the URL, the server sorts).
 * @param {Meta} m
 * @param {import('./dom.js').Child} label
 * @param {string} id
 * @param {URLSearchParams} params
 * @param {{ class?: string, title?: string }} [opts]
 */
function sortHeader(m, label, id, params, opts = {}) {
  // Only the columns the server sorts by get a sort button (its list comes from /api/meta).
  if (!/** @type {readonly string[]} */ (m.sortKeys).includes(id) && !id.startsWith('rs:')) return h('th', { class: opts.class, title: opts.title }, label);
  const on = params.get('sort') === id;
  const desc = params.get('dir') === 'desc';
  return h(
    'th',
    { class: opts.class, title: opts.title, 'aria-sort': on ? (desc ? 'descending' : 'ascending') : undefined },
    h(
      'button',
      {
        class: `sort ${on ? 'on' : ''}`,
        'data-sort': id,
        onclick: () => {
          const p = new URLSearchParams(params);
          p.set('sort', id);
          if (on && !desc) p.set('dir', 'desc');
          else p.delete('dir');
          go(['tasks'], p);
        },
      },
      label,
      on ? (desc ? ' ▼' : ' ▲') : '',
    ),
  );
}

/**
 * @param {TasksAnswer} data
 * @param {URLSearchParams} params
 * @param {Meta} m
 */
function taskTable(data, params, m) {
  const multiSource = new Set(data.runs.map((r) => r.source)).size > 1;
  return h(
    'div',
    { class: 'scroll matrix-scroll' },
    h(
      'table',
      { class: 'grid tasks' },
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          sortHeader(m, 'Task', 'task', params, { class: 'sticky' }),
          data.facets.benchmark.length > 1 ? sortHeader(m, 'Benchmark', 'benchmark', params) : null,
          sortHeader(m, 'Subset', 'subset', params),
          sortHeader(m, 'CWE', 'cwe', params),
          sortHeader(m, 'Broken', 'broken', params, { title: 'tasks whose own references disagree with their tests' }),
          sortHeader(m, 'Passed', 'passed', params, { class: 'num', title: 'samples that pass, over the selected result sets' }),
          h('th', null, 'Statuses'),
          sortHeader(m, 'Verdicts', 'vulnerable', params, { title: 'secure / vulnerable / wrong samples (sorts by vulnerable)' }),
          data.runs.map((r) =>
            sortHeader(m, h('span', null, `${r.model} · ${shortExperiment(r.experiment)}${multiSource ? ` · ${r.source}` : ''}`), `rs:${r.key}`, params, { class: 'rot', title: resultSetTitle(r) }),
          ),
        ),
      ),
      h('tbody', null, data.rows.map((r) => taskRow(r, data, params, m))),
    ),
  );
}

/** @param {Meta} m */
function legend(m) {
  const seg = (/** @type {string} */ s) => h('span', { class: 'lg' }, h('span', { class: `sw seg s-${s}` }), s);
  return h(
    'div',
    { class: 'legend small muted', id: 'tasks-legend' },
    h('span', null, 'Statuses: '),
    m.statuses.map(seg),
    h('span', { class: 'lg' }, ' · Result-set cells: samples passed / samples, '),
    h('span', { class: 'lg' }, h('span', { class: 'sw mx-0' }), 'none pass'),
    h('span', { class: 'lg' }, h('span', { class: 'sw mx-1' }), 'all pass'),
    h('span', { class: 'lg' }, h('span', { class: 'sw na' }), 'no samples'),
  );
}

/** @param {URLSearchParams} params */
export async function tasksPage(params) {
  const m = await meta();
  const keys = [...m.filterKeys, 'sort', 'dir'];
  const data = /** @type {TasksAnswer} */ (await api('tasks', pick(params, keys)));
  const table = data.rows.length ? taskTable(data, params, m) : null;
  const csv = pick(params, keys);
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
        h('span', { class: 'muted', id: 'task-count' }, `${data.rows.length} task${data.rows.length === 1 ? '' : 's'} · ${data.samples} samples in ${data.runs.length} result set${data.runs.length === 1 ? '' : 's'}`),
        h('a', { class: 'btn small-btn', id: 'csv-export', href: `/api/tasks.csv${csv.toString() ? `?${csv}` : ''}`, download: 'codeseceval-tasks.csv', title: 'the rows and columns shown, in this order' }, 'Export CSV'),
      ),
      table ?? h('p', { class: 'muted pad' }, 'No task matches these filters.'),
      legend(m),
      h('p', { class: 'muted small' }, 'Statuses and verdicts count the samples of the selected result sets (model × experiment); one column per result set. Click a header to sort.'),
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
