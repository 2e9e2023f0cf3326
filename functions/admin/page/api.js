// The admin API, with the token from this tab's session storage as a bearer header: never in a
// URL, never in local storage, gone when the tab closes.
const KEY = 'herald-admin-token';

export const token = {
  get: () => sessionStorage.getItem(KEY),
  set: (value) => sessionStorage.setItem(KEY, value),
  clear: () => sessionStorage.removeItem(KEY),
};

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error || `HTTP ${status}`);
    this.status = status;
    this.field = body?.field;
  }
}

let onSignedOut = () => {};
export function whenSignedOut(callback) { onSignedOut = callback; }

export async function api(method, path, body, headers = {}) {
  // Signed out: a view still loading asks nothing more (no request without a token).
  if (!token.get()) throw new ApiError(401, { error: 'signed out' });
  const init = { method, cache: 'no-store', headers: { Authorization: `Bearer ${token.get() ?? ''}`, ...headers } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError(0, { error: 'Herald did not answer: check your connection and try again' });
  }
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = { error: text.slice(0, 200) }; }
  if (response.status === 401) {
    token.clear();
    onSignedOut('Your admin token was refused: sign in again.');
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

let catalogPromise;
export function catalog() {
  catalogPromise ??= api('GET', '/admin/catalog').catch((e) => { catalogPromise = undefined; throw e; });
  return catalogPromise;
}
