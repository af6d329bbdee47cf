// @ts-check
// The entry module: renders the page the hash names and follows runs in progress. It imports
// the page modules and the leaf modules (router, api, dom); nothing imports it.
import { seenVersion, setSeenVersion } from './api.js';
import { clear, h, restoreDetails, trackDetails } from './dom.js';
import { route } from './router.js';
import { overviewPage } from './overview.js';
import { tasksPage } from './tasks.js';
import { taskPage } from './task.js';
import { comparePage } from './compare.js';

const main = /** @type {HTMLElement} */ (document.getElementById('main'));
const live = /** @type {HTMLElement} */ (document.getElementById('live'));
/** The render in flight; an older one that finishes late is dropped. */
let rendering = {};
/**
 * Clicks and typing on the page shown. A live refresh builds the new page from the URL it read
 * when it started; if the user acted on the old page meanwhile (chose a sample, ...), that page
 * is stale before it is shown, and the refresh starts again from the URL as it is now.
 */
let actions = 0;
for (const type of ['click', 'input', 'change']) main.addEventListener(type, () => actions++, true);

/** @param {{ refresh?: boolean }} [opts] */
async function render({ refresh = false } = {}) {
  const { parts, params } = route();
  const name = parts[0] || 'overview';
  for (const a of document.querySelectorAll('[data-nav]')) {
    if (a instanceof HTMLElement) a.classList.toggle('active', a.dataset.nav === (name === 'task' ? 'tasks' : name));
  }
  const scroll = refresh ? window.scrollY : 0;
  const token = {};
  rendering = token;
  const acted = actions;
  try {
    let page;
    if (name === 'overview') page = await overviewPage(params);
    else if (name === 'tasks') page = await tasksPage(params);
    else if (name === 'task' && parts[1]) page = await taskPage(parts[1], params);
    else if (name === 'compare') page = await comparePage(params);
    else page = h('p', { class: 'pad' }, 'No such page. ', h('a', { href: '#/' }, 'Overview'));
    if (rendering !== token) return;
    if (refresh && actions !== acted) return render({ refresh });
    clear(main).appendChild(page);
    restoreDetails(main);
    main.dataset.page = name;
    main.dataset.version = String(seenVersion());
    window.scrollTo(0, scroll);
  } catch (e) {
    if (rendering !== token) return;
    const msg = e instanceof Error ? e.message : String(e);
    clear(main).appendChild(h('div', { class: 'pad error' }, h('strong', null, 'Could not load this view: '), msg));
  }
}

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
    const version = seenVersion();
    if (version !== null && body.version !== version) {
      setSeenVersion(body.version);
      live.textContent = `live · updated ${new Date().toLocaleTimeString()}`;
      // An input being typed in keeps its focus: wait for the next change.
      const active = document.activeElement;
      if (!(active instanceof HTMLInputElement && active.type === 'search')) await render({ refresh: true });
    } else if (version === null) setSeenVersion(body.version);
  } catch {
    live.classList.add('off');
    live.textContent = 'server stopped';
  }
}

trackDetails();
window.addEventListener('hashchange', () => render());
setInterval(poll, 1500);
render().then(poll);
