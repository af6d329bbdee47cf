// The viewer's shell: hash routing (the URL holds every filter, the open task and sample, so a
// copied link opens the same view), data fetching, and following runs in progress.
import { clear, h } from './dom.js';
import { overviewPage } from './overview.js';
import { tasksPage } from './tasks.js';
import { taskPage } from './task.js';
import { comparePage } from './compare.js';

const main = document.getElementById('main');
const live = document.getElementById('live');
let version = null;
let rendering = null;

/** The current route: path parts and parameters from the hash. */
export function route() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const qi = raw.indexOf('?');
  const path = qi < 0 ? raw : raw.slice(0, qi);
  const params = new URLSearchParams(qi < 0 ? '' : raw.slice(qi + 1));
  const parts = path.split('/').filter(Boolean).map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  });
  return { parts, params };
}

export function href(parts, params) {
  const p = '/' + parts.map(encodeURIComponent).join('/');
  const q = params ? params.toString() : '';
  return `#${p}${q ? `?${q}` : ''}`;
}

/** Go somewhere (a new history entry, the page re-renders). */
export function go(parts, params) {
  location.hash = href(parts, params).slice(1);
}

/** Change state the current page already shows (filters typed, a sample opened): no re-render. */
export function replaceParams(params) {
  const { parts } = route();
  history.replaceState(null, '', href(parts, params));
}

export class HttpError extends Error {}

export async function api(path, params) {
  const q = params ? `?${params.toString()}` : '';
  const res = await fetch(`/api/${path}${q}`, { headers: { Accept: 'application/json' } });
  let body;
  try {
    body = await res.json();
  } catch {
    throw new HttpError(`${res.status} ${res.statusText}`);
  }
  if (!res.ok) throw new HttpError(body && body.error ? body.error : `${res.status} ${res.statusText}`);
  if (typeof body.version === 'number') version = Math.max(version ?? 0, body.version);
  return body;
}

/** Only the parameters a key list names, for links that carry filters along. */
export function pick(params, keys) {
  const out = new URLSearchParams();
  for (const k of keys) for (const v of params.getAll(k)) out.append(k, v);
  return out;
}

const openDetails = new Set();
document.addEventListener(
  'toggle',
  (e) => {
    const key = e.target && e.target.dataset ? e.target.dataset.key : null;
    if (!key) return;
    if (e.target.open) openDetails.add(key);
    else openDetails.delete(key);
  },
  true,
);

/** Re-open what the user had open before a refresh rebuilt the page. */
export function restoreDetails(root) {
  for (const d of root.querySelectorAll('details[data-key]')) if (openDetails.has(d.dataset.key)) d.open = true;
}

async function render({ refresh = false } = {}) {
  const { parts, params } = route();
  const name = parts[0] || 'overview';
  for (const a of document.querySelectorAll('[data-nav]')) a.classList.toggle('active', a.dataset.nav === (name === 'task' ? 'tasks' : name));
  const scroll = refresh ? window.scrollY : 0;
  const token = {};
  rendering = token;
  try {
    let page;
    if (name === 'overview') page = await overviewPage(params);
    else if (name === 'tasks') page = await tasksPage(params);
    else if (name === 'task' && parts[1]) page = await taskPage(parts[1], params);
    else if (name === 'compare') page = await comparePage(params);
    else page = h('p', { class: 'pad' }, 'No such page. ', h('a', { href: '#/' }, 'Overview'));
    if (rendering !== token) return;
    clear(main).appendChild(page);
    restoreDetails(main);
    main.dataset.page = name;
    main.dataset.version = String(version);
    window.scrollTo(0, scroll);
  } catch (e) {
    if (rendering !== token) return;
    clear(main).appendChild(h('div', { class: 'pad error' }, h('strong', null, 'Could not load this view: '), String(e.message || e)));
  }
}

window.addEventListener('hashchange', () => render());

/**
 * Follow the files: the server bumps a version whenever a results file grows or a report is
 * rebuilt; the page then fetches its data again and keeps scroll position and open sections.
 */
async function poll() {
  try {
    const res = await fetch('/api/version', { cache: 'no-store' });
    const body = await res.json();
    live.classList.remove('off');
    live.textContent = 'live';
    if (version !== null && body.version !== version) {
      version = body.version;
      live.textContent = `live · updated ${new Date().toLocaleTimeString()}`;
      // An input being typed in keeps its focus: wait for the next change.
      if (!(document.activeElement && document.activeElement.tagName === 'INPUT' && document.activeElement.type === 'search')) {
        await render({ refresh: true });
      }
    } else if (version === null) version = body.version;
  } catch {
    live.classList.add('off');
    live.textContent = 'server stopped';
  }
}

setInterval(poll, 1500);
render().then(poll);
