// @ts-check
// Task page: the task's texts, references and Test (each assert marked functional / security /
// broken), then every sample of the chosen runs: program or diff against a reference, status,
// the failing assert, outputs, the raw answer, extraction, prompt and rounds.
import { api, meta } from './api.js';
import { badge, clear, codeView, details, diffView, h, heat, restoreDetails, resultSetTitle, statusBadge, textBlock, verdictBadge } from './dom.js';
import { go, href, pick, replaceParams } from './router.js';

/**
 * @typedef {import('../api-types.js').TaskAnswer} TaskAnswer
 * @typedef {import('../api-types.js').SampleAnswer} SampleAnswer
 * @typedef {NonNullable<TaskAnswer['task']>} TaskData
 * @typedef {TaskAnswer['runs'][number]} TaskRun
 * @typedef {NonNullable<TaskAnswer['labels']>} Labels
 * @typedef {SampleAnswer['summary']} Summary
 * @typedef {import('./dom.js').Tokens} Tokens
 * @typedef {import('./dom.js').Mark} Mark
 * @typedef {object} Ctx what the run cards of one task page share
 * @property {Labels | null} labels
 * @property {Map<string, number>} open the sample each run shows
 * @property {string | null} focus the sample the user chose last (RUNKEY~INDEX)
 * @property {boolean} multiSource
 * @property {(() => void)[]} reloaders
 * @property {() => 'none' | 'secure' | 'insecure'} diffMode
 * @property {(m: string) => void} setDiffMode
 * @property {() => void} saveUrl
 * @property {boolean} marked
 * @property {(sample: SampleAnswer, runName: string) => void} markTest
 */

const MAX_CARDS = 6;
/**
 * The style of an assert label as the server names it (functional, security, broken, ...).
 * @param {string | undefined} label
 */
const labelCls = (label) => (label ? `l-${label}` : '');

/** Which sample each run shows: `s=RUNKEY~INDEX` entries in the URL. */
/**
 * @param {URLSearchParams} params
 * @returns {Map<string, number>}
 */
function openSamples(params) {
  const m = new Map();
  for (const v of params.getAll('s')) {
    const i = v.lastIndexOf('~');
    if (i > 0) m.set(v.slice(0, i), Number(v.slice(i + 1)));
  }
  return m;
}

/**
 * @param {Labels | null} labels
 * @returns {Map<number, string>}
 */
function labelMap(labels) {
  const m = new Map();
  if (!labels) return m;
  for (const a of labels.asserts) m.set(a.line, a.label);
  for (const s of labels.statements) m.set(s.line, s.label);
  return m;
}

/**
 * @param {Labels | null} labels
 * @param {number[]} failed
 * @returns {Map<number, Mark>}
 */
function testMarks(labels, failed) {
  /** @type {Map<number, Mark>} */
  const marks = new Map();
  for (const [line, label] of labelMap(labels)) marks.set(line, { cls: labelCls(label), note: label, noteCls: labelCls(label) });
  for (const line of failed) {
    const m = marks.get(line);
    marks.set(line, { cls: `${m ? m.cls : ''} failed`, note: `✗ failed${m ? ` · ${m.note}` : ''}`, noteCls: `fail ${m ? m.noteCls : ''}` });
  }
  return marks;
}

/**
 * The Test lines a sample fails at: failed asserts, and the line an uncaught exception came
 * from (marked the same way: the Test stopped there).
 * @param {Summary} summary
 * @param {number | null} [exceptionLine]
 */
function failedLines(summary, exceptionLine) {
  const lines = new Set([...(summary.failed_functional || []), ...(summary.failed_security || [])]);
  if (summary.fail_line) lines.add(summary.fail_line);
  if (exceptionLine) lines.add(exceptionLine);
  return [...lines].sort((a, b) => a - b);
}

/**
 * Test-file benchmarks (SALLM, CWEval): every test case with its role and outcome.
 * @param {NonNullable<SampleAnswer['cases']>} cases
 */
function casesTable(cases) {
  const role = (/** @type {string | null} */ r) => (r === 'security' ? badge('security', 'l-security') : r === 'functionality' ? badge('functional', 'l-functional') : badge('no role', 'b-muted'));
  return h(
    'table',
    { class: 'grid cases' },
    h('thead', null, h('tr', null, h('th', null, 'Test case'), h('th', null, 'Role'), h('th', null, 'Outcome'), h('th', null, ''))),
    h(
      'tbody',
      null,
      cases.map((c) =>
        h('tr', { 'data-case': c.name, class: c.outcome === 'passed' ? '' : 'bad' }, h('td', null, h('code', null, c.name)), h('td', null, role(c.role)), h('td', null, badge(c.outcome, c.outcome === 'passed' ? 's-passed' : c.outcome === 'skipped' ? 'b-muted' : 's-failed')), h('td', { class: 'small muted wrap-cell' }, c.detail ?? '')),
      ),
    ),
  );
}

/**
 * @param {Tokens[]} lines
 * @param {number} no
 */
function lineText(lines, no) {
  const l = lines[no - 1];
  return l ? l.map((t) => t[1]).join('').trim() : '';
}

/** @param {TaskData} t */
function textTabs(t) {
  /** @type {[string, string][]} */
  const tabs = /** @type {[string, string | null][]} */ ([
    ['Problem', t.problem],
    ['Vulnerability-aware Problem', t.vuln_aware_problem],
    ['Insecure Code Explanation', t.insecure_code_explanation],
  ]).flatMap(([n, v]) => (v === null || v === undefined ? [] : [/** @type {[string, string]} */ ([n, v])]));
  const body = h('div', { class: 'tab-body' });
  const bar = h('div', { class: 'tabs', role: 'tablist' });
  const show = (/** @type {number} */ i) => {
    for (const [j, b] of [...bar.children].entries()) b.classList.toggle('on', i === j);
    // SecEvalBase Problems are code (a stub with a docstring): keep their indentation readable.
    const text = tabs[i]?.[1] ?? '';
    clear(body).appendChild(textBlock(text, /^\s*(def |class |import |from \S+ import )/m.test(text) ? 'prose codeish' : 'prose'));
  };
  tabs.forEach(([name], i) => bar.appendChild(h('button', { class: 'tab', role: 'tab', onclick: () => show(i) }, name)));
  show(0);
  return h('section', { class: 'card' }, bar, body);
}

/** @param {any} prompt the sample's prompt record, shown as text whatever its shape */
function promptView(prompt) {
  if (!prompt || typeof prompt !== 'object') return textBlock(JSON.stringify(prompt, null, 1));
  if (prompt.style === 'completion') return textBlock(prompt.text ?? '');
  const parts = [];
  if (prompt.system) parts.push(h('div', { class: 'role' }, 'system'), textBlock(prompt.system));
  for (const turn of prompt.history || []) parts.push(h('div', { class: 'role' }, turn.role), textBlock(turn.content));
  parts.push(h('div', { class: 'role' }, 'user'), textBlock(prompt.user ?? ''));
  return h('div', null, parts);
}

/**
 * @param {SampleAnswer} sample
 * @param {TaskData} task
 * @param {string} mode
 */
function codeArea(sample, task, mode) {
  // A diff is null for a program shown in part (a big sample): the program alone is shown.
  if (mode === 'secure' && sample.diff.secure) return diffView(sample.diff.secure, task.secure, sample.program);
  if (mode === 'insecure' && sample.diff.insecure && task.insecure) return diffView(sample.diff.insecure, task.insecure, sample.program);
  return codeView(sample.program, findingMarks(sample));
}

/**
 * The analyzer's findings on the program's lines (`run --analyze`), noted at each line's end.
 * @param {SampleAnswer} sample
 * @returns {Map<number, Mark>}
 */
function findingMarks(sample) {
  /** @type {Map<number, Mark>} */
  const marks = new Map();
  for (const f of sample.analysis ? sample.analysis.findings : []) {
    const m = marks.get(f.line);
    const note = `${f.rule} ${f.severity.toLowerCase()}${f.cwe ? ` ${f.cwe}` : ''}`;
    marks.set(f.line, { cls: 'finding', note: m ? `${m.note} · ${note}` : note, noteCls: 'finding' });
  }
  return marks;
}

/** @param {NonNullable<SampleAnswer['analysis']>} a */
function findingsList(a) {
  if (a.note) return h('p', { class: 'muted small' }, `${a.analyzer}: ${a.note}`);
  if (!a.findings.length) return h('p', { class: 'muted small analysis-clean' }, `${a.analyzer}: no finding on this program.`);
  return h(
    'ul',
    { class: 'plain small findings' },
    a.findings.map((f) => h('li', { 'data-line': f.line }, badge(f.severity.toLowerCase(), f.severity === 'HIGH' ? 's-failed' : 'b-muted', `confidence ${f.confidence.toLowerCase()}`), h('code', null, f.rule), ` line ${f.line}${f.cwe ? ` · ${f.cwe}` : ''}: `, f.message)),
  );
}

/**
 * @param {NonNullable<SampleAnswer['rounds']>} rounds
 * @param {string} key
 */
function roundsView(rounds, key) {
  return details(
    `Rounds (${rounds.length})`,
    rounds.map((r) =>
      typeof r.invalid === 'string'
        ? textBlock(r.invalid)
        : details(
            [`round ${r.round} `, r.status ? statusBadge(r.status) : null, r.detail ? h('span', { class: 'muted small' }, ` ${r.detail}`) : null],
            [
              r.feedback !== null ? [h('div', { class: 'role' }, 'feedback given'), textBlock(r.feedback)] : null,
              h('div', { class: 'role' }, 'program'),
              codeView(r.program),
              r.findings && r.findings.length ? [h('div', { class: 'role' }, 'analyzer findings'), textBlock(r.findings.map((f) => `line ${f.line}: ${f.rule}`).join('\n'))] : null,
              r.error ? h('div', { class: 'error small' }, r.error) : null,
              details('raw answer', textBlock(r.raw), { key: `${key}:round${r.round}:raw` }),
              r.extraction ? h('div', { class: 'muted small' }, `extraction: ${r.extraction}`) : null,
              r.extra ? details('other fields', textBlock(r.extra), { key: `${key}:round${r.round}:extra` }) : null,
            ],
            { key: `${key}:round${r.round}`, class: 'round' },
          ),
    ),
    { key: `${key}:rounds` },
  );
}

/**
 * @param {SampleAnswer} sample
 * @param {TaskData} task
 * @param {Ctx} ctx
 */
function sampleBody(sample, task, ctx) {
  const key = `${sample.run.key}~${sample.summary.index}`;
  const s = sample.summary;
  const failed = failedLines(s, sample.exception_line);
  const labels = labelMap(ctx.labels);
  const failedCases = (sample.cases ?? []).filter((c) => c.outcome === 'failed' || c.outcome === 'error');
  const mode = ctx.diffMode();
  const codeBox = h('div', { class: 'code-box' }, codeArea(sample, task, mode));
  const modes = /** @type {[string, string][]} */ ([['none', 'Program'], ['secure', 'Diff vs Secure'], ['insecure', 'Diff vs Insecure']]).filter(([m]) => m !== 'insecure' || task.insecure);
  const toggle = h(
    'div',
    { class: 'seg-toggle', role: 'group', 'aria-label': 'diff' },
    modes.map(([m, label]) => h('button', { class: `diff-mode ${mode === m ? 'on' : ''}`, 'data-mode': m, onclick: () => ctx.setDiffMode(m) }, label)),
  );
  return h(
    'div',
    { class: 'sample', 'data-sample': key },
    h(
      'div',
      { class: 'sample-head' },
      statusBadge(s.status),
      s.verdict ? verdictBadge(s.verdict) : sample.case_verdict ? badge(sample.case_verdict, `v-${sample.case_verdict}`, 'from the roles of the test cases (functionality / security)') : null,
      h('span', { class: 'muted small' }, `sample ${s.index} · ${s.duration_ms} ms`),
      sample.from_completion ? badge('completion', 'b-muted', 'the program is the Problem followed by this completion') : null,
    ),
    h('pre', { class: `detail ${s.passed ? '' : 'bad'}` }, sample.detail),
    failed.length
      ? h(
          'ul',
          { class: 'plain fails' },
          failed.map((line) =>
            h(
              'li',
              null,
              badge(labels.get(line) || (line === sample.exception_line ? 'raised' : 'assert'), labelCls(labels.get(line)) || 'b-muted'),
              ' ',
              h('span', { class: 'muted small' }, `Test line ${line}${line === sample.exception_line ? ' (the exception came from here)' : ''}: `),
              h('code', { class: 'failline' }, lineText(task.test, line)),
            ),
          ),
        )
      : null,
    failedCases.length
      ? h('p', { class: 'small' }, 'Failed test cases: ', failedCases.map((c) => [badge(c.role === 'security' ? 'security' : c.role === 'functionality' ? 'functional' : 'no role', c.role === 'security' ? 'l-security' : c.role === 'functionality' ? 'l-functional' : 'b-muted'), h('code', null, c.name), ' ']))
      : null,
    sample.cases && sample.cases.length ? details(`Test cases (${sample.cases.filter((c) => c.outcome === 'passed').length} of ${sample.cases.length} passed)`, casesTable(sample.cases), { key: `${key}:cases`, open: !s.passed }) : null,
    toggle,
    codeBox,
    sample.analysis ? details(`Static analysis (${sample.analysis.analyzer}): ${sample.analysis.note ?? `${sample.analysis.findings.length} finding${sample.analysis.findings.length === 1 ? '' : 's'}`}`, findingsList(sample.analysis), { key: `${key}:analysis`, open: sample.analysis.findings.length > 0 }) : null,
    sample.stdout_tail ? details('stdout (tail)', textBlock(sample.stdout_tail, 'out'), { key: `${key}:stdout` }) : null,
    sample.stderr_tail ? details('stderr (tail)', textBlock(sample.stderr_tail, 'err'), { key: `${key}:stderr`, open: !s.passed }) : null,
    sample.raw !== null ? details(['raw model answer', sample.extraction ? h('span', { class: 'muted small' }, ` · extraction: ${sample.extraction}`) : null], textBlock(sample.raw), { key: `${key}:raw` }) : null,
    sample.prompt !== null ? details('prompt', promptView(sample.prompt), { key: `${key}:prompt` }) : null,
    sample.rounds ? roundsView(sample.rounds, key) : null,
    sample.soft ? details('soft-assert outcome', textBlock(sample.soft), { key: `${key}:soft` }) : null,
    details('all other fields', textBlock(sample.fields), { key: `${key}:fields` }),
  );
}

/**
 * @param {TaskRun} run
 * @param {TaskData} task
 * @param {Ctx} ctx
 */
function runCard(run, task, ctx) {
  const body = h('div', { class: 'sample-slot' }, h('p', { class: 'muted' }, 'Loading sample…'));
  const chips = h('div', { class: 'chips' });
  const open = ctx.open.get(run.key) ?? (run.samples[0] ? run.samples[0].index : null);
  /** The request of the sample shown last: answers can come in any order, only its is drawn. */
  let pending = new AbortController();
  const load = async (/** @type {number} */ index, /** @type {boolean} */ focus) => {
    for (const c of chips.children) if (c instanceof HTMLElement) c.classList.toggle('on', Number(c.dataset.index) === index);
    ctx.open.set(run.key, index);
    // Only a choice of the user goes into the URL: a page being built (a live update the user
    // may meanwhile have acted before) must not write back the state it started from.
    if (focus) {
      ctx.focus = `${run.key}~${index}`;
      ctx.saveUrl();
    }
    pending.abort();
    const mine = new AbortController();
    pending = mine;
    try {
      const sample = /** @type {SampleAnswer} */ (await api('sample', new URLSearchParams({ run: run.key, task: task.id, index: String(index) }), mine.signal));
      if (mine.signal.aborted) return;
      clear(body).appendChild(sampleBody(sample, task, ctx));
      restoreDetails(body);
      // Without a chosen sample, the Test shows the first failure that arrives.
      const own = ctx.focus === `${run.key}~${index}`;
      if (focus || own || (!ctx.focus && !ctx.marked && failedLines(sample.summary, sample.exception_line).length)) {
        ctx.marked = true;
        ctx.markTest(sample, `${run.model} · ${run.experiment}`);
      }
    } catch (e) {
      if (mine.signal.aborted) return;
      clear(body).appendChild(h('p', { class: 'error' }, e instanceof Error ? e.message : String(e)));
    }
  };
  for (const s of run.samples) {
    chips.appendChild(
      h(
        'button',
        { class: `chip s-${s.status} ${s.verdict ? `cv-${s.verdict}` : ''}`, 'data-index': s.index, title: `sample ${s.index}: ${s.status}${s.verdict ? ` · ${s.verdict}` : ''}\n${s.detail}`, onclick: () => load(s.index, true) },
        String(s.index),
      ),
    );
  }
  ctx.reloaders.push(() => open !== null && load(ctx.open.get(run.key) ?? open, false));
  return h(
    'section',
    { class: 'card run-card', 'data-run': run.key },
    h(
      'div',
      { class: 'run-head', title: resultSetTitle(run) },
      h('strong', null, run.model),
      h('span', { class: 'muted' }, ` · ${run.experiment}`),
      ctx.multiSource ? h('span', { class: 'muted small run-folder' }, ` · run ${run.source}`) : null,
      h('span', { class: 'passed' }, `${run.c}/${run.n} passed`),
    ),
    chips,
    body,
  );
}

/**
 * Every result set with samples of this task, to pick which are shown (kept in the URL as
 * `run=` entries) and to find one among many by name (`rf=`, also kept).
 * @param {string} id
 * @param {TaskAnswer} data
 * @param {TaskRun[]} shown
 * @param {URLSearchParams} params
 */
function runPicker(id, data, shown, params) {
  const on = new Set(shown.map((r) => r.key));
  const multiSource = new Set(data.runs.map((r) => r.source)).size > 1;
  /** @param {Set<string>} keys */
  const show = (keys) => {
    const p = new URLSearchParams(params);
    for (const k of ['run', 'model', 'exp', 's', 'focus']) p.delete(k);
    for (const r of data.runs) if (keys.has(r.key)) p.append('run', r.key);
    go(['task', id], p);
  };
  const filter = h('input', { type: 'search', id: 'run-filter', placeholder: 'Filter by model, experiment, run…', 'aria-label': 'filter result sets', value: params.get('rf') || '' });
  const items = data.runs.map((r) => {
    const text = `${r.model} · ${r.experiment}${multiSource ? ` · run ${r.source}` : ''}`;
    const box = h('input', {
      type: 'checkbox',
      checked: on.has(r.key),
      'aria-label': `show ${text}`,
      onchange: () => {
        const next = new Set(on);
        if (next.has(r.key)) next.delete(r.key);
        else next.add(r.key);
        show(next);
      },
    });
    const rate = h('span', { class: 'rate' }, `${r.c}/${r.n}`);
    heat(rate, r.n ? r.c / r.n : null);
    return h('li', { 'data-pick': r.key, title: resultSetTitle(r), 'data-hay': text.toLowerCase() }, h('label', null, box, ' ', text, ' ', rate));
  });
  const list = h('ul', { class: 'plain run-pick' }, items);
  const apply = () => {
    const q = filter.value.trim().toLowerCase();
    for (const li of items) li.hidden = !!q && !(li.dataset.hay ?? '').includes(q);
  };
  // Typed by the user: kept in the URL. (A page being built only applies the filter its URL has.)
  const typed = () => {
    apply();
    const p = new URLSearchParams(params);
    if (filter.value) p.set('rf', filter.value);
    else p.delete('rf');
    replaceParams(p);
    params.delete('rf');
    if (filter.value) params.set('rf', filter.value);
  };
  filter.addEventListener('input', typed);
  if (filter.value) apply();
  return h(
    'details',
    { class: 'card picker', 'data-key': `pick:${id}`, open: data.runs.length > shown.length || undefined },
    h('summary', null, `Result sets shown: ${shown.length} of ${data.runs.length} (pick)`),
    h(
      'div',
      { class: 'pick-bar' },
      filter,
      h('button', { class: 'btn small', onclick: () => show(new Set(data.runs.filter((r) => !items[data.runs.indexOf(r)]?.hidden).map((r) => r.key))) }, 'show all listed'),
      h('button', { class: 'btn small', onclick: () => show(new Set(data.runs.slice(0, 1).map((r) => r.key))) }, 'only the first'),
    ),
    list,
  );
}

/** @param {URLSearchParams} params */
function wrapToggle(params) {
  return h(
    'label',
    { class: 'small muted' },
    h('input', {
      type: 'checkbox',
      id: 'wrap-lines',
      checked: !!params.get('wrap'),
      onchange: (/** @type {Event} */ e) => {
        const wrap = /** @type {HTMLInputElement} */ (e.target).checked;
        if (wrap) params.set('wrap', '1');
        else params.delete('wrap');
        replaceParams(params);
        for (const g of document.querySelectorAll('.runs-grid, .task-code')) g.classList.toggle('wrap', wrap);
      },
    }),
    ' wrap long lines',
  );
}

/**
 * A task the results name but the dataset does not: its result sets and samples, flagged,
 * without problem, references or test (there are none to show).
 * @param {string} id
 * @param {TaskAnswer} data
 * @param {URLSearchParams} params
 */
function unknownTaskPage(id, data, params) {
  const back = pick(params, ['run', 'model', 'exp']);
  return h(
    'div',
    { class: 'page' },
    h('div', { class: 'crumbs' }, h('a', { href: href(['tasks'], back) }, '← Tasks')),
    h('h2', {}, id),
    h('p', { class: 'warn' }, `${id} is not in the dataset this viewer was started with: ${data.runs.length} result set(s) name it. Their samples are listed below, without the task's problem, references and test.`),
    h(
      'ul',
      {},
      ...data.runs.map((r) =>
        h('li', {}, `${resultSetTitle(r)}: ${r.c} of ${r.n} passed (`, ...r.samples.map((s) => statusBadge(s.status)), ')'),
      ),
    ),
  );
}

/**
 * @param {string} id
 * @param {URLSearchParams} params
 */
export async function taskPage(id, params) {
  const q = pick(params, ['run', 'model', 'exp']);
  q.set('id', id);
  const data = /** @type {TaskAnswer} */ (await api('task', q));
  const t = data.task;
  if (!t) return unknownTaskPage(id, data, params);
  const chosen = data.runs.filter((r) => r.selected);
  // A chosen list (run=... in the URL) is shown whole; otherwise the first few, and the picker
  // above the cards reaches every other result set.
  const cards = params.getAll('run').length ? chosen : chosen.slice(0, MAX_CARDS);
  const testBox = h('div', { class: 'test-box' });
  const labels = data.labels;
  /** @type {Ctx} */
  const ctx = {
    labels,
    open: openSamples(params),
    focus: params.get('focus'),
    multiSource: new Set(data.runs.map((r) => r.source)).size > 1,
    reloaders: [],
    diffMode: () => {
      const m = params.get('diff');
      return m === 'secure' || m === 'insecure' ? m : 'none';
    },
    setDiffMode: (m) => {
      if (m === 'none') params.delete('diff');
      else params.set('diff', m);
      ctx.saveUrl();
      for (const r of ctx.reloaders) r();
    },
    saveUrl: () => {
      params.delete('s');
      for (const [k, i] of ctx.open) params.append('s', `${k}~${i}`);
      if (ctx.focus) params.set('focus', ctx.focus);
      replaceParams(params);
    },
    marked: false,
    markTest: (sample, runName) => {
      clear(testBox).appendChild(codeView(t.test, testMarks(labels, failedLines(sample.summary, sample.exception_line))));
      testNote.textContent = `Marked: the lines sample ${sample.summary.index} of ${runName} fails${sample.exception_line ? ' (or raised at)' : ''}.`;
    },
  };
  const testNote = h('span', { class: 'muted small' });
  testBox.appendChild(codeView(t.test, testMarks(labels, [])));
  const m = await meta();
  const back = pick(params, m.filterKeys);
  const runCards = cards.map((r) => runCard(r, t, ctx));
  const page = h(
    'div',
    { class: 'page task-page' },
    h('div', { class: 'crumbs' }, h('a', { href: href(['tasks'], back) }, '← Tasks')),
    h(
      'div',
      { class: 'title' },
      h('h1', { id: 'task-title' }, t.id),
      badge(t.subset, 'b-muted'),
      t.cwe ? badge(t.cwe, 'b-cwe', m.cweNames[t.cwe] || undefined) : null,
      t.cwe && m.cweNames[t.cwe] ? h('span', { class: 'muted', id: 'cwe-name' }, m.cweNames[t.cwe]) : null,
      data.broken.map((b) => badge(`broken: ${b.verdict}`, 'b-broken', b.reason)),
    ),
    data.broken.length ? h('p', { class: 'warn small' }, data.broken.map((b) => `${b.source}: ${b.reason}`).join(' · ')) : null,
    textTabs(t),
    h(
      'div',
      { class: `two task-code ${params.get('wrap') ? 'wrap' : ''}` },
      t.secure.some((line) => line.length > 0)
        ? h('section', { class: 'card' }, h('h2', null, 'Secure Code'), codeView(t.secure))
        : h('section', { class: 'card', id: 'no-secure' }, h('h2', null, 'Secure Code'), h('p', { class: 'muted small' }, 'This benchmark publishes no secure reference for this task.')),
      t.insecure ? h('section', { class: 'card' }, h('h2', null, 'Insecure Code'), codeView(t.insecure)) : null,
    ),
    h(
      'section',
      { class: `card task-code ${params.get('wrap') ? 'wrap' : ''}` },
      h('div', { class: 'row-between' }, h('h2', null, 'Test'), testNote),
      labels
        ? h('p', { class: 'small legend' }, badge('functional', 'l-functional'), ' fails with neither reference ', badge('security', 'l-security'), ' the Insecure Code fails it ', badge('broken', 'l-broken'), ' the Secure Code fails it')
        : h('p', { class: 'muted small' }, 'No assert labels: make them with `codeseceval run --split` or `dataset validate --labels`.'),
      testBox,
    ),
    h('div', { class: 'row-between section-title' }, h('h2', null, `Samples · ${cards.length} of ${data.runs.length} result set${data.runs.length === 1 ? '' : 's'}`), wrapToggle(params)),
    runPicker(id, data, cards, params),
    h('div', { class: `runs-grid ${cards.length > 1 ? 'cols' : ''} ${params.get('wrap') ? 'wrap' : ''}` }, runCards),
  );
  for (const r of ctx.reloaders) r();
  return page;
}
