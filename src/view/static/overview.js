// @ts-check
// Overview: every run (model x experiment) with pass@k, intervals, the functional / secure
// split and broken tasks, sortable; the runs' sources; a per-CWE heat map.
import { api, meta } from './api.js';
import { go, href, replaceParams } from './router.js';
import { badge, ci, h, heat, pct, shortExperiment, statusBar } from './dom.js';

/**
 * @typedef {import('../api-types.js').OverviewAnswer} OverviewAnswer
 * @typedef {import('../api-types.js').MetaAnswer} Meta
 * @typedef {OverviewAnswer['runs'][number]} Run
 * @typedef {object} Column
 * @property {string} id
 * @property {string} label
 * @property {string} [title]
 * @property {(r: Run) => string | number | null | undefined} value
 * @property {(r: Run) => [number, number] | null | undefined} [ci]
 * @property {boolean} [num]
 * @property {boolean} [pct]
 * @property {boolean} [bar]
 */

/** @param {Run} run */
const overall = (run) => run.subsets[0] || null;
/** @param {Run} run */
const splitOverall = (run) => (run.split ? run.split.subsets[0] ?? null : null);

/**
 * @param {OverviewAnswer} data
 * @returns {Column[]}
 */
function columns(data) {
  const ks = data.ks.filter((k) => data.runs.some((r) => (overall(r)?.pass_at_k[k] ?? null) !== null));
  const showSplit = data.runs.some((r) => splitOverall(r));
  const k1 = ks[0] ?? 1;
  /** @type {Column[]} */
  const cols = [
    { id: 'model', label: 'Model', value: (r) => r.model },
    { id: 'experiment', label: 'Experiment', value: (r) => r.experiment },
  ];
  if (data.sources.length > 1) cols.push({ id: 'source', label: 'Run', title: 'the run folder the result set is in', value: (r) => r.source });
  cols.push({ id: 'samples', label: 'Samples', value: (r) => r.samples, num: true });
  cols.push({ id: 'tasks', label: 'Tasks', value: (r) => (overall(r)?.tasks ?? r.tasks), num: true });
  for (const k of ks) {
    cols.push({
      id: `p${k}`,
      label: `pass@${k}`,
      title: `unbiased pass@${k} over the tasks (%), 95% bootstrap interval below`,
      value: (r) => (overall(r)?.pass_at_k?.[k] ?? null),
      ci: (r) => (overall(r)?.ci?.[k] ?? null),
      pct: true,
    });
  }
  if (showSplit) {
    cols.push({ id: 'func', label: `func@${k1}`, title: 'functional: fails no functional assert', value: (r) => (splitOverall(r)?.func_at_k?.[k1] ?? null), ci: (r) => (splitOverall(r)?.func_ci?.[k1] ?? null), pct: true });
    cols.push({ id: 'funcsec', label: `func-sec@${k1}`, title: 'functional and secure', value: (r) => (splitOverall(r)?.func_sec_at_k?.[k1] ?? null), ci: (r) => (splitOverall(r)?.func_sec_ci?.[k1] ?? null), pct: true });
    cols.push({ id: 'vuln', label: 'vulnerable', title: 'share of functional samples that fail a security check', value: (r) => (splitOverall(r)?.vulnerable_rate ?? null), ci: (r) => (splitOverall(r)?.vulnerable_ci ?? null), pct: true });
  }
  cols.push({ id: 'broken', label: 'Broken', title: 'tasks whose own references disagree with their tests (dataset validate)', value: (r) => (overall(r)?.broken_tasks ?? null), num: true });
  cols.push({ id: 'statuses', label: 'Statuses', value: (r) => r.statuses.passed / Math.max(1, r.samples), bar: true });
  if (data.runs.some((r) => r.analysis)) {
    cols.push({ id: 'sa', label: 'Analyzer agrees', title: 'run --analyze: share of samples where the static analyzer and the tests agree (flagged = vulnerable with --split, else flagged = failed)', value: (r) => r.analysis?.agreement ?? null, pct: true });
    cols.push({ id: 'kappa', label: 'κ', title: "Cohen's kappa between the analyzer's flag and the tests' verdict (0: chance agreement, 1: perfect)", value: (r) => (r.analysis?.kappa == null ? null : Number(r.analysis.kappa.toFixed(2))), num: true });
  }
  if (data.runs.some((r) => r.usage.samples_with_usage)) {
    const tokens = (/** @type {number | null} */ v) => (v === null ? null : Math.round(v));
    cols.push({ id: 'tin', label: 'Tokens in', title: 'mean input tokens per sample (as the provider reported them)', value: (r) => tokens(r.usage.mean_input_tokens), num: true });
    cols.push({ id: 'tout', label: 'Tokens out', title: 'mean output tokens per sample', value: (r) => tokens(r.usage.mean_output_tokens), num: true });
  }
  // Reference and replay answers take no time: a column of zeros would say nothing.
  if (data.runs.some((r) => (r.usage.mean_latency_ms ?? 0) > 0)) {
    cols.push({ id: 'latency', label: 'Latency s', title: 'mean time per model request, in seconds (answers from the cache not counted)', value: (r) => (r.usage.mean_latency_ms === null ? null : Number((r.usage.mean_latency_ms / 1000).toFixed(2))), num: true });
  }
  return cols;
}

/** @param {OverviewAnswer['sources'][number]['state']} state */
function stateBadge(state) {
  if (state === 'running') return badge('in progress', 'b-live', 'a codeseceval command is writing this run now');
  if (state === 'elsewhere') return badge('in progress elsewhere', 'b-live', 'a codeseceval command on another machine holds this run');
  if (state === 'interrupted') return badge('interrupted', 'b-broken', 'no command is writing it, and some samples were never judged');
  return null;
}

/** @param {OverviewAnswer} data */
function sourcesPanel(data) {
  return h(
    'section',
    { class: 'card sources' },
    h('h2', null, 'Runs'),
    h('p', { class: 'muted small' }, 'A run is one folder of samples and results; it holds one result set per model × experiment.'),
    h(
      'ul',
      { class: 'plain' },
      data.sources.map((s) => {
        const partial = s.samples !== null && s.samples > s.results;
        const bar = partial ? h('span', { class: 'progress', title: `${s.results} of ${s.samples} samples evaluated` }, h('span', { class: 'fill' })) : null;
        if (bar) /** @type {HTMLElement} */ (bar.firstChild).style.width = `${(100 * s.results) / Math.max(1, s.samples ?? 0)}%`;
        return h(
          'li',
          { class: 'source' },
          h('code', { class: 'label' }, s.label),
          ' ',
          h('span', { class: 'muted path', title: s.dir }, s.dir),
          ' · ',
          `${s.results} result${s.results === 1 ? '' : 's'}`,
          s.samples !== null ? ` of ${s.samples} samples` : null,
          bar,
          stateBadge(s.state),
          s.shards ? badge(`shards ${s.shards.present.length} of ${s.shards.count}`, s.shards.missing.length ? 'b-broken' : 'b-ok', s.shards.missing.length ? `shard files read as one; missing: ${s.shards.missing.join(', ')}` : 'shard files read as one') : null,
          s.state === 'interrupted' ? h('div', { class: 'warn small' }, `Stopped before the end: ${s.results} of ${s.samples} samples judged. Run the same command again to continue.`) : null,
          s.broken !== null ? badge(`${s.broken} broken`, s.broken ? 'b-broken' : 'b-ok', 'tasks that validation.json marks as broken') : badge('no validation.json', 'b-muted'),
          s.labels ? badge('assert labels', 'b-ok') : null,
          s.split && 'note' in s.split ? h('div', { class: 'muted small' }, s.split.note) : null,
          s.error ? h('div', { class: 'error small' }, s.error) : null,
          s.reportError ? h('div', { class: 'warn small' }, `scores pending: ${s.reportError}`) : null,
          s.files.length
            ? h('div', { class: 'small files' }, 'files: ', s.files.map((f, i) => [i ? ' · ' : '', h('a', { href: `/files/${encodeURIComponent(s.label)}/${encodeURIComponent(f)}`, target: '_blank', rel: 'noopener' }, f)]))
            : null,
        );
      }),
    ),
  );
}

/**
 * @param {OverviewAnswer} data
 * @param {URLSearchParams} params
 * @param {Meta} m
 */
function runsTable(data, params, m) {
  const cols = columns(data);
  const sort = params.get('sort');
  const dir = params.get('dir') === 'asc' ? 1 : -1;
  const rows = [...data.runs];
  const col = cols.find((c) => c.id === sort);
  if (col) {
    rows.sort((a, b) => {
      const x = col.value(a);
      const y = col.value(b);
      if (x === y) return 0;
      if (x === null || x === undefined) return 1;
      if (y === null || y === undefined) return -1;
      return (x < y ? -1 : 1) * dir;
    });
  }
  const picked = new Set(params.getAll('pick'));
  const compareBtn = h('button', { class: 'btn', disabled: picked.size !== 2, onclick: () => {
    const [a, b] = [...picked];
    if (a && b) go(['compare'], new URLSearchParams({ a, b }));
  } }, 'Compare the two selected');
  const head = h(
    'tr',
    null,
    h('th', { title: 'pick two result sets to compare' }, ''),
    cols.map((c) =>
      h(
        'th',
        { class: c.num || c.pct ? 'num' : '', title: c.title },
        h(
          'button',
          {
            class: `sort ${sort === c.id ? 'on' : ''}`,
            onclick: () => {
              const p = new URLSearchParams(params);
              p.set('sort', c.id);
              p.set('dir', sort === c.id && dir === -1 ? 'asc' : 'desc');
              go([], p);
            },
          },
          c.label,
          sort === c.id ? (dir === 1 ? ' ▲' : ' ▼') : '',
        ),
      ),
    ),
  );
  const body = rows.map((r) =>
    h(
      'tr',
      { 'data-run': r.key },
      h(
        'td',
        null,
        h('input', {
          type: 'checkbox',
          'aria-label': `pick ${r.model} ${r.experiment}`,
          checked: picked.has(r.key),
          onchange: (/** @type {Event} */ e) => {
            if (/** @type {HTMLInputElement} */ (e.target).checked) picked.add(r.key);
            else picked.delete(r.key);
            const p = new URLSearchParams(params);
            p.delete('pick');
            for (const k of picked) p.append('pick', k);
            replaceParams(p);
            compareBtn.disabled = picked.size !== 2;
          },
        }),
      ),
      cols.map((c) => {
        const v = c.value(r);
        if (c.id === 'model') return h('td', null, h('a', { href: href(['tasks'], new URLSearchParams({ run: r.key })), title: 'explore the tasks of this result set' }, v));
        if (c.bar) return h('td', null, statusBar(r.statuses, Math.max(1, r.samples), m.statuses));
        if (c.pct) {
          const iv = c.ci ? c.ci(r) : null;
          return h('td', { class: 'num' }, h('span', { class: 'val' }, r.scored ? pct(typeof v === 'number' ? v : null) : '…'), iv ? h('span', { class: 'ci' }, ci(iv)) : null);
        }
        if (c.id === 'broken') return h('td', { class: 'num' }, v === null ? '' : v ? badge(String(v), 'b-broken') : '0');
        return h('td', { class: c.num ? 'num' : '' }, v === null || v === undefined ? '' : String(v));
      }),
    ),
  );
  return h(
    'section',
    { class: 'card' },
    h('div', { class: 'row-between' }, h('h2', null, 'Result sets'), compareBtn),
    rows.length
      ? h('div', { class: 'scroll' }, h('table', { class: 'grid runs' }, h('thead', null, head), h('tbody', null, body)))
      : h('p', { class: 'muted' }, 'No results yet. A run in progress appears here as soon as its first sample is evaluated.'),
    statusLegend(m),
    h('p', { class: 'muted small' }, 'One row per result set (a model × experiment in one run). Percentages; intervals are 95% percentile bootstraps over tasks. Broken tasks are counted (see the run\'s validation.json).'),
  );
}

/** @param {Meta} m */
function statusLegend(m) {
  return h('div', { class: 'legend small muted' }, h('span', null, 'Statuses: '), m.statuses.map((s) => h('span', { class: 'lg' }, h('span', { class: `sw seg s-${s}` }), s)));
}

/** @param {OverviewAnswer} data */
function suggestions(data) {
  if (!data.suggestions.length) return null;
  const name = (/** @type {string} */ key) => {
    const r = data.runs.find((x) => x.key === key);
    return r ? `${r.model} · ${r.experiment}` : key;
  };
  return h(
    'section',
    { class: 'card' },
    h('h2', null, 'Comparisons'),
    h('p', { class: 'muted small' }, 'The pairs `report --compare` makes: does the extra information help, and is each model better than the first?'),
    h('ul', { class: 'plain cmp-list' }, data.suggestions.map((s) => h('li', null, h('a', { href: href(['compare'], new URLSearchParams({ a: s.a, b: s.b })) }, name(s.a), ' → ', name(s.b))))),
  );
}

/**
 * @param {OverviewAnswer} data
 * @param {Meta} m
 */
function cweHeatmap(data, m) {
  const runs = data.runs.filter((r) => r.cwes.length);
  if (!runs.length) return null;
  const k = data.ks.find((kk) => runs.some((r) => r.cwes.some((g) => g.pass_at_k[kk] !== null))) ?? data.ks[0];
  const groups = new Map();
  for (const r of runs) for (const g of r.cwes) if (g.tasks) groups.set(g.group, Math.max(groups.get(g.group) || 0, g.tasks));
  const num = (/** @type {string} */ g) => Number((/CWE-(\d+)/.exec(g) || [0, 1e9])[1]);
  const names = [...groups.keys()].sort((a, b) => num(a) - num(b) || a.localeCompare(b));
  const table = h(
    'table',
    { class: 'heat' },
    h('thead', null, h('tr', null, h('th', null, `CWE (tasks) · pass@${k} %`), runs.map((r) => h('th', { class: 'rot', title: `${r.model} · ${r.experiment}${data.sources.length > 1 ? ` · ${r.source}` : ''}` }, h('span', null, `${r.model} · ${shortExperiment(r.experiment)}`))))),
    h(
      'tbody',
      null,
      names.map((g) =>
        h(
          'tr',
          null,
          h('th', { class: 'cwe', title: m.cweNames[g] || undefined }, `${g} (${groups.get(g)})`, m.cweNames[g] ? h('span', { class: 'cwe-name' }, m.cweNames[g]) : null),
          runs.map((r) => {
            const cell = r.cwes.find((x) => x.group === g);
            const v = cell && cell.tasks && k !== undefined ? cell.pass_at_k[k] : null;
            const td = h('td', { title: `${r.model} · ${r.experiment}: ${g} pass@${k} ${pct(v)}% over ${cell ? cell.tasks : 0} tasks` },
              cell && cell.tasks ? h('a', { href: href(['tasks'], new URLSearchParams({ run: r.key, cwe: g })) }, pct(v, 0)) : '');
            return cell && cell.tasks ? heat(td, v) : td;
          }),
        ),
      ),
    ),
  );
  return h('section', { class: 'card' }, h('h2', null, 'Per CWE'), h('p', { class: 'muted small' }, 'Each cell opens the tasks of that CWE in that result set.'), h('div', { class: 'scroll' }, table));
}

/** @param {URLSearchParams} params */
export async function overviewPage(params) {
  const [data, m] = /** @type {[OverviewAnswer, Meta]} */ (await Promise.all([api('overview'), meta()]));
  const ds = data.dataset;
  return h(
    'div',
    { class: 'page overview' },
    h('div', { class: 'title' }, h('h1', null, 'Overview'), h('span', { class: 'muted' }, `${data.runs.length} result set${data.runs.length === 1 ? '' : 's'} in ${data.sources.length} run${data.sources.length === 1 ? '' : 's'} · dataset ${ds.kind} (${ds.tasks} tasks) from `, h('code', null, ds.source))),
    runsTable(data, params, m),
    sourcesPanel(data),
    suggestions(data),
    cweHeatmap(data, m),
  );
}
