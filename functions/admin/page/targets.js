// Targets: where events go. Each shows where it stands on its ladder, what it keeps aside, and
// Kino's Test button.
import { api } from './api.js';
import { ago, clock, h, show, time } from './dom.js';
import { editor } from './editor.js';
import { recentDeliveries } from './activity.js';

// Badges follow the ladder while the list is visible; a hidden tab asks nothing.
const REFRESH_MS = 15000;

export function badge(status) {
  if (!status.enabled) return h('span', { class: 'badge disabled', text: 'disabled' });
  if (status.paused) return h('span', { class: 'badge paused', text: 'paused' });
  if (status.holding) {
    const until = status.next_attempt_at ? ` until ${clock(status.next_attempt_at)}` : '';
    const n = status.failures;
    return h('span', { class: 'badge holding', text: `holding${until} · ${n} failure${n === 1 ? '' : 's'}` });
  }
  if (status.failures > 0) return h('span', { class: 'badge failing', text: `failing · ${status.failures} failures` });
  return h('span', { class: 'badge healthy', text: 'healthy' });
}

export function testResult(r) {
  const head = r.status ? `HTTP ${r.status} in ${r.round_trip_ms} ms` : `No answer after ${r.round_trip_ms} ms`;
  return h('div', { class: `result ${r.ok ? 'ok' : 'bad'}`, role: 'status' },
    h('strong', { class: 'test-status', text: head }),
    r.ok ? null : h('div', { class: 'meta', text: r.error ?? '' }),
    r.hint && !r.ok ? h('div', { class: 'help', text: r.hint }) : null);
}

function rejectedList(target, into, refresh) {
  return async () => {
    const items = await api('GET', `/admin/targets/${target.id}/rejected`);
    const path = `/admin/targets/${target.id}/rejected`;
    const act = (method, suffix) => async () => {
      try { await api(method, `${path}${suffix}`); await refresh(); show(into); } catch (e) { alert(e.message); }
    };
    show(into, h('div', { class: 'result' },
      h('h3', { text: 'Rejected deliveries' }),
      h('p', { class: 'help', text: 'The receiver refused these for their content. Fix the template, then replay them.' }),
      h('ul', { class: 'plain' }, items.map((r) => h('li', { class: 'meta' },
        `${time(r.rejected_at)} · ${r.event} · ${r.reason}`, r.response ? ` · “${r.response.slice(0, 120)}”` : '',
        ' ', h('button', { type: 'button', text: 'Replay', onclick: act('POST', `/${r.delivery_id}/replay`) }),
        ' ', h('button', { type: 'button', class: 'danger', text: 'Discard', onclick: act('DELETE', `/${r.delivery_id}`) })))),
      h('div', { class: 'actions' },
        h('button', { type: 'button', text: 'Replay all', onclick: act('POST', '/replay') }),
        h('button', { type: 'button', class: 'danger', text: 'Discard all', onclick: act('DELETE', '') }))));
  };
}

// "ombi: 12 events, kiosk: 7 events" rather than every pattern: the form shows them all.
function eventsSummary(events) {
  if (!events) return 'every event but chatty ones';
  const byKind = new Map();
  for (const p of events) {
    const [kind, name] = p.includes(':') ? p.split(/:(.*)/s) : ['any source', p];
    byKind.set(kind, [...(byKind.get(kind) ?? []), name]);
  }
  return [...byKind].map(([kind, names]) => (names.length === 1 ? `${kind}: ${names[0]}` : `${kind}: ${names.length} events`)).join(', ');
}

function card(target, ctx, reload) {
  // Announced when it changes (not on every refresh that finds it the same).
  const statusLine = h('div', { class: 'status', 'aria-live': 'polite' });
  const when = h('span', { class: 'meta when' });
  const counts = h('span', { class: 'meta counts' });
  const result = h('div');
  const extra = h('div');
  const recent = h('div', { class: 'recent-box' });
  const replay = h('button', { type: 'button', text: 'Send parked now', hidden: true });
  const pause = h('button', { type: 'button', text: 'Pause' });
  const rejected = h('button', { type: 'button', text: 'Rejected', hidden: true });
  // `known`: this target's status from the list's one call; else its own.
  const refresh = async (known) => {
    const status = known ?? await api('GET', `/admin/targets/${target.id}/status`);
    const unhealthy = status.holding || status.failures > 0;
    const past = status.last_failure?.recovered ? status.last_failure : null;
    const parts = [badge(status), unhealthy && status.last_error ? h('span', { class: 'meta', text: ` ${status.last_error}` }) : null,
      past ? h('span', { class: 'meta', text: ` · last failed ${clock(past.at)}${past.status ? ` (HTTP ${past.status})` : ''}, recovered since` }) : null];
    const text = parts.filter(Boolean).map((p) => p.textContent).join('');
    if (statusLine.textContent !== text) show(statusLine, parts);
    // Beside the live region, not in it: it changes on every refresh.
    when.textContent = status.holding && status.next_attempt_at ? `next attempt ${ago(new Date(status.next_attempt_at))}` : '';
    counts.textContent = `${status.parked} parked · ${status.rejected} rejected`;
    replay.hidden = (status.parked <= 0 && !status.holding) || status.paused;
    rejected.hidden = status.rejected === 0;
    pause.textContent = status.paused ? 'Resume' : 'Pause';
    pause.dataset.paused = status.paused ? 'yes' : 'no';
    return status;
  };
  pause.addEventListener('click', async () => {
    const resuming = pause.dataset.paused === 'yes';
    try {
      const status = await api('POST', `/admin/targets/${target.id}/${resuming ? 'resume' : 'pause'}`);
      const n = status.parked;
      show(result, h('div', { class: 'result', role: 'status', text: resuming
        ? `Resumed: sending the ${n} deliver${n === 1 ? 'y' : 'ies'} it parked, then new ones as they come.`
        : 'Paused: deliveries for it are kept, parked, until you resume it (up to the parked retention, 7 days by default).' }));
      await refresh();
    } catch (e) { show(result, h('p', { class: 'error', text: e.message })); }
  });
  replay.addEventListener('click', async () => {
    try {
      const r = await api('POST', `/admin/targets/${target.id}/replay`);
      const n = r.replaying;
      const what = `${n} parked deliver${n === 1 ? 'y' : 'ies'}${target.ordered ? ', in order' : ''}`;
      show(result, h('div', { class: 'result', role: 'status',
        text: `Sending ${what}. Should the receiver still fail, the target waits as before: a manual send never climbs the ladder.` }));
      await refresh();
    } catch (e) { show(result, h('p', { class: 'error', text: e.message })); }
  });
  rejected.addEventListener('click', () => rejectedList(target, extra, refresh)().catch((e) => alert(e.message)));
  const test = h('button', { type: 'button', class: 'primary', text: 'Test', onclick: async () => {
    test.disabled = true;
    show(result, h('div', { class: 'result', text: 'Sending a test event…' }));
    try {
      show(result, testResult(await api('POST', `/admin/targets/${target.id}/test`)));
      await refresh();
    } catch (e) { show(result, h('p', { class: 'error', text: e.message })); }
    test.disabled = false;
  } });
  const el = h('article', { class: 'card target', 'data-id': target.id, 'data-name': target.name },
    h('div', { class: 'title' }, h('strong', { text: target.name }), statusLine, when),
    h('div', { class: 'meta', text: `${target.method} ${target.url}` }),
    h('div', { class: 'meta' }, `${target.preset} · `, counts,
      ` · ${eventsSummary(target.events)}`),
    h('div', { class: 'actions' }, test,
      h('button', { type: 'button', text: 'Edit', onclick: () => editor(ctx, target.id) }),
      pause, replay, rejected,
      h('button', { type: 'button', class: 'danger', text: 'Delete', onclick: async () => {
        if (!confirm(`Delete target ${target.name}? What it has parked is discarded.`)) return;
        try { await api('DELETE', `/admin/targets/${target.id}`); reload(); } catch (e) { alert(e.message); }
      } })),
    recent, result, extra);
  // Once per (re)load, not on every badge refresh: the log is read an hour at a time.
  recentDeliveries(target.id, recent).catch(() => {});
  return { el, refresh, id: target.id };
}

export async function targetsView(ctx) {
  const { view } = ctx;
  const list = h('div', { id: 'targets' });
  const notice = h('div', { id: 'targets-notice', 'aria-live': 'polite' });
  let cards = [];
  // When Herald stops answering, say so: badges that merely stay green would say the opposite.
  const refreshAll = async () => {
    let failed;
    try {
      const all = await api('GET', '/admin/status');
      const results = await Promise.allSettled(cards.map((c) => c.refresh(all[c.id])));
      failed = results.find((r) => r.status === 'rejected');
    } catch (e) { failed = { reason: e }; }
    list.classList.toggle('stale', Boolean(failed));
    show(notice, failed ? h('p', { class: 'error', role: 'alert',
      text: `Herald is not answering (${failed.reason.message}): the badges below may be out of date.` }) : null);
  };
  const reload = async () => {
    try {
      const targets = await api('GET', '/admin/targets');
      cards = targets.map((t) => card(t, ctx, reload));
      show(list, cards.length ? cards.map((c) => c.el) : h('p', { class: 'help', text: 'No targets yet: add one.' }));
      await refreshAll();
    } catch (e) { show(list, h('p', { class: 'error', text: e.message })); }
  };
  show(view,
    h('div', { class: 'title' }, h('h1', { text: 'Targets' }),
      h('button', { type: 'button', class: 'primary', id: 'add-target', text: 'Add target', onclick: () => editor(ctx, null) })),
    notice, list);
  await reload();
  // On a timer while the tab is seen, and at once when it is seen again.
  const onVisible = () => { if (document.visibilityState === 'visible') refreshAll(); };
  const timer = setInterval(onVisible, REFRESH_MS);
  document.addEventListener('visibilitychange', onVisible);
  ctx.onLeave(() => { clearInterval(timer); document.removeEventListener('visibilitychange', onVisible); });
}
