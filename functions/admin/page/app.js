// Herald's settings page: sign in with the admin token, then targets, activity, sources and dead letters.
import { api, catalog, token, whenSignedOut } from './api.js';
import { h, show } from './dom.js';
import { sourcesView } from './sources.js';
import { targetsView } from './targets.js';
import { deadLettersView } from './dead-letters.js';
import { activityView } from './activity.js';

const views = { targets: targetsView, activity: activityView, sources: sourcesView, 'dead-letters': deadLettersView };
const view = document.getElementById('view');
const nav = document.getElementById('nav');
let leave = () => {};
// Set by a view with unsaved edits: asked before anything leaves it (nav, Back, sign-out).
let mayLeave = () => true;

function open(name) {
  leave();
  mayLeave = () => true;
  for (const b of nav.querySelectorAll('button[data-view]')) {
    if (b.dataset.view === name) b.setAttribute('aria-current', 'page'); else b.removeAttribute('aria-current');
  }
  // Every timer a view (or the editor it opens) starts stops when it is left.
  document.title = `${nav.querySelector(`button[data-view="${name}"]`)?.textContent ?? name} · Herald`;
  // Each visit renders into a pane of its own: a view still loading when it is left (a slow answer
  // after a quick click elsewhere) then fills a pane no longer on the page, not the new view.
  const pane = h('div', { class: 'pane' });
  view.replaceChildren(pane);
  // What a view registers after it was left (its first load answered late) runs at once: a timer it
  // starts then is stopped, not left running beside the next view's.
  let left = false;
  leave = () => { left = true; };
  const ctx = { view: pane, open,
    onLeave: (fn) => { if (left) { fn(); return; } const before = leave; leave = () => { before(); fn(); }; },
    guard: (fn) => { mayLeave = fn; } };
  // Focus moves to the new view's heading, so a keyboard or screen reader lands where the page changed.
  return Promise.resolve(views[name](ctx)).then(() => {
    const heading = view.querySelector('h1');
    if (heading && !view.contains(document.activeElement)) { heading.tabIndex = -1; heading.focus(); }
  }).catch(() => {}).then(() => ctx);
}

/// `#targets/edit/<id>` and `#targets/new` open the editor, so the address names it and Back leaves it.
async function route() {
  // Own properties only: `#constructor` or `#__proto__` must not reach the prototype.
  const [asked, action, ...rest] = location.hash.slice(1).split('/');
  const ctx = await open(Object.hasOwn(views, asked) ? asked : 'targets');
  if (asked === 'targets' && (action === 'edit' || action === 'new')) {
    const { editor } = await import('./editor.js');
    editor(ctx, action === 'edit' ? decodeURIComponent(rest.join('/')) : null);
  }
}

function signIn(message) {
  leave();
  leave = () => {};
  nav.hidden = true;
  const input = h('input', { type: 'password', id: 'token', autocomplete: 'current-password', required: true,
    placeholder: 'HERALD_ADMIN_TOKEN' });
  const error = h('p', { class: 'error', role: 'alert', text: message ?? '' });
  const form = h('form', { class: 'card', id: 'sign-in' },
    h('h1', { text: 'Sign in' }),
    h('label', { for: 'token', text: 'Admin token' }), input,
    h('p', { class: 'help', text: 'The token Herald was deployed with (HERALD_ADMIN_TOKEN). It stays in this tab and is sent only to this API.' }),
    error,
    h('div', { class: 'actions' }, h('button', { class: 'primary', type: 'submit', text: 'Sign in' })));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.textContent = '';
    token.set(input.value.trim());
    try {
      await api('GET', '/admin/catalog');
      start();
    } catch (err) {
      if (err.status !== 401) error.textContent = err.message;
    }
  });
  document.title = 'Sign in · Herald';
  show(view, form);
  input.focus();
}

function start() {
  nav.hidden = false;
  catalog().catch(() => {});
  route();
}

window.addEventListener('popstate', () => {
  if (nav.hidden) return;
  if (!mayLeave()) { history.pushState(null, '', location.href.split('#')[0] + lastHash); return; }
  lastHash = location.hash;
  route();
});
let lastHash = location.hash;
window.addEventListener('hashchange', () => { lastHash = location.hash; });

whenSignedOut((message) => signIn(message));
nav.addEventListener('click', (e) => {
  const name = e.target.closest('button[data-view]')?.dataset.view;
  if (name && mayLeave()) { history.pushState(null, '', `#${name}`); lastHash = location.hash; open(name); }
});
document.getElementById('sign-out').addEventListener('click', () => { if (mayLeave()) { token.clear(); signIn('Signed out.'); } });

if (token.get()) start(); else signIn();
