// @ts-check
// Talking to the viewer's server: JSON from /api/..., the data version the page has seen (for
// live updates), and the server's own vocabulary (/api/meta), so the page keeps no hand copy
// of the status list or the filter keys. A leaf module: it imports nothing of the app.

export class HttpError extends Error {}

/** @type {number | null} */
let version = null;

/** The highest data version any answer carried (null before the first). */
export function seenVersion() {
  return version;
}

/** @param {number} v */
export function setSeenVersion(v) {
  version = v;
}

/**
 * GET /api/PATH?PARAMS as JSON; a non-2xx answer throws its `error` text. `signal` drops a
 * request whose answer is no longer wanted (it then throws an AbortError).
 * @param {string} path
 * @param {URLSearchParams} [params]
 * @param {AbortSignal} [signal]
 * @returns {Promise<any>}
 */
export async function api(path, params, signal) {
  const q = params ? `?${params.toString()}` : '';
  const res = await fetch(`/api/${path}${q}`, { headers: { Accept: 'application/json' }, signal });
  let body;
  try {
    body = await res.json();
  } catch {
    throw new HttpError(`${res.status} ${res.statusText}`);
  }
  if (!res.ok) throw new HttpError(body && body.error ? body.error : `${res.status} ${res.statusText}`);
  if (body && typeof body.version === 'number') version = Math.max(version ?? 0, body.version);
  return body;
}

/**
 * What the server calls things: fixed for the server's lifetime, so fetched once.
 * @typedef {import('../api-types.js').MetaAnswer} Meta
 */

/** @type {Promise<Meta> | null} */
let metaPromise = null;

/** @returns {Promise<Meta>} */
export function meta() {
  if (!metaPromise) {
    metaPromise = api('meta').catch((e) => {
      metaPromise = null;
      throw e;
    });
  }
  return /** @type {Promise<Meta>} */ (metaPromise);
}
