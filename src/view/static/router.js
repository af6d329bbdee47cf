// @ts-check
// Hash routing: the URL holds every filter, the open task and sample, so a copied link opens
// the same view. A leaf module: it imports nothing of the app.

/**
 * @typedef {{ parts: string[], params: URLSearchParams }} Route
 */

/**
 * The current route: path parts and parameters from the hash.
 * @returns {Route}
 */
export function route() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const qi = raw.indexOf('?');
  const path = qi < 0 ? raw : raw.slice(0, qi);
  const params = new URLSearchParams(qi < 0 ? '' : raw.slice(qi + 1));
  const parts = path
    .split('/')
    .filter(Boolean)
    .map((p) => {
      try {
        return decodeURIComponent(p);
      } catch {
        return p;
      }
    });
  return { parts, params };
}

/**
 * @param {string[]} parts
 * @param {URLSearchParams | null} [params]
 * @returns {string}
 */
export function href(parts, params) {
  const p = '/' + parts.map(encodeURIComponent).join('/');
  const q = params ? params.toString() : '';
  return `#${p}${q ? `?${q}` : ''}`;
}

/**
 * Go somewhere (a new history entry, the page re-renders).
 * @param {string[]} parts
 * @param {URLSearchParams | null} [params]
 */
export function go(parts, params) {
  location.hash = href(parts, params).slice(1);
}

/**
 * Change state the current page already shows (filters typed, a sample opened): no re-render.
 * @param {URLSearchParams} params
 */
export function replaceParams(params) {
  const { parts } = route();
  history.replaceState(null, '', href(parts, params));
}

/**
 * Only the parameters a key list names, for links that carry filters along.
 * @param {URLSearchParams} params
 * @param {readonly string[]} keys
 * @returns {URLSearchParams}
 */
export function pick(params, keys) {
  const out = new URLSearchParams();
  for (const k of keys) for (const v of params.getAll(k)) out.append(k, v);
  return out;
}
