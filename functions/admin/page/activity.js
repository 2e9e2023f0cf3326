// Activity: every accepted webhook, where it went and what became of each delivery, attempt by
// attempt. Filters map one to one onto GET /admin/events; it refreshes only while the tab is seen.
import { api } from './api.js';
import { debounce, field, h, select, show, time } from './dom.js';

const REFRESH_MS = 15000;
const OUTCOMES = [['', 'any outcome'], ['failed', 'failed'], ['delivered', 'delivered'], ['parked', 'parked'],
  ['rejected', 'rejected'], ['expired', 'expired'], ['dead_lettered', 'dead-lettered'], ['pending', 'pending']];
// Steps that sent nothing: no status or latency to show.
const SENT_NOTHING = new Set(['parked', 'skipped', 'dead_lettered', 'expired']);
const AFTERWARDS = {
  expired: 'Parked longer than parked deliveries are kept: it was not sent.',
  dead_lettered: 'Herald could not finish it (its table or queue failed every try): it waits in the dead-letter queue. Redrive it from Dead letters.',
};
const REASONS = { not_subscribed: 'not subscribed to this event', when: 'its conditions were false', disabled: 'disabled' };

// Target ids → names, read once per visit of the view (ids are what the log keeps).
let names = new Map();
const nameOf = (id) => names.get(id) ?? id;

// "delivered", "failed 503": the status where it says why.
const outcomeLabel = (d) => `${d.outcome}${d.status && d.outcome !== 'delivered' ? ` ${d.status}` : ''}`;

function outcomeChip(d, withTarget = true) {
  const label = outcomeLabel(d);
  return h('span', { class: `chip ${d.outcome}`, title: `${nameOf(d.target_id)}: ${label}`,
    text: withTarget ? `${nameOf(d.target_id)} · ${label}` : label });
}

function query(form) {
  const params = new URLSearchParams();
  for (const [k, v] of new FormData(form)) if (String(v).trim()) params.set(k, String(v).trim());
  return params.toString();
}

function steps(delivery) {
  return h('ol', { class: 'attempts' }, (delivery.steps ?? []).map((s) => h('li', {},
    h('span', { class: `chip ${s.outcome}`, text: s.outcome }), ` ${time(s.at)}`,
    s.status ? ` · HTTP ${s.status}` : '', s.class && s.class !== 'http' ? ` · ${s.class}` : '',
    SENT_NOTHING.has(s.outcome) ? '' : ` · ${s.ms} ms`,
    s.error ? h('div', { class: 'meta', text: s.error }) : null,
    s.response ? h('pre', { class: 'answer', text: s.response }) : null,
    s.request ? requestAsSent(s.request) : null)));
}

// Secrets are redacted by Herald before the request is logged.
function requestAsSent(r) {
  const headers = (r.headers ?? []).map(([name, value]) => `${name}: ${value}`).join('\n');
  return h('details', { class: 'request' }, h('summary', { text: 'Request as sent' }),
    h('pre', { class: 'answer', text: `${r.method} ${r.url}\n${headers}\n\n${r.body ?? ''}${r.body_truncated ? '\n… (cut here)' : ''}` }));
}

async function detail(id, into) {
  show(into, h('p', { class: 'help', text: 'Loading…' }));
  let e;
  try { e = await api('GET', `/admin/events/${encodeURIComponent(id)}`); } catch (err) {
    show(into, h('p', { class: 'error', text: err.message }));
    return;
  }
  const result = h('p', { role: 'status' });
  const replay = (d) => h('button', { type: 'button', text: 'Send again', onclick: async () => {
    try {
      const r = await api('POST', `/admin/deliveries/${d.delivery_id}/replay`);
      result.textContent = `${r.replayed} sent again with the current template.`;
    } catch (err) { result.textContent = err.message; }
  } });
  show(into, h('section', { class: 'card', id: 'event-detail', 'aria-label': 'Event detail' },
    h('h2', { text: e.summary }),
    h('p', { class: 'meta', text: `${time(e.received_at)} · ${e.source_id} (${e.source_kind}) · ${e.name} · event ${e.event_id}` }),
    e.sender_id ? h('p', { class: 'meta', text: `The sender's id: ${e.sender_id}` }) : null,
    e.deliveries.map((d) => h('div', { class: 'delivery', 'data-target': d.target_id },
      h('h3', {}, `→ ${nameOf(d.target_id)} `, outcomeChip(d, false)),
      h('p', { class: 'meta', text: `delivery ${d.delivery_id} (the webhook-id the receiver saw)` }),
      steps(d), AFTERWARDS[d.outcome] ? h('p', { class: 'help', text: AFTERWARDS[d.outcome] }) : null,
      d.outcome === 'rejected' ? replay(d) : null)),
    e.not_routed.map((n) => h('p', { class: 'meta', text: `✗ ${nameOf(n.target_id)}: not sent, ${REASONS[n.reason] ?? n.reason}` })),
    result));
  into.scrollIntoView({ block: 'nearest' });
}

function row(e, into) {
  return h('li', { class: 'event', 'data-id': e.event_id },
    h('button', { type: 'button', class: 'link', onclick: () => detail(e.event_id, into) },
      h('strong', { text: e.summary })),
    h('div', { class: 'meta', text: `${time(e.received_at)} · ${e.source_id} · ${e.name}` }),
    h('div', { class: 'chips' }, e.deliveries.map(outcomeChip)));
}

function recover() {
  const target = h('input', { name: 'target', required: true, autocomplete: 'off' });
  const since = h('input', { name: 'since', type: 'datetime-local', required: true });
  const result = h('p', { role: 'status' });
  const form = h('form', { class: 'card', id: 'recover' },
    h('h2', { text: 'Send again what a target rejected' }),
    h('p', { class: 'help', text: 'After fixing its template: every delivery the target refused since then, in arrival order, with the same webhook-id.' }),
    h('div', { class: 'row' }, field('Target id', target), field('Since', since)),
    h('div', { class: 'actions' }, h('button', { type: 'submit', text: 'Send again' })), result);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const at = new Date(since.value).toISOString();
      const r = await api('POST', `/admin/targets/${encodeURIComponent(target.value.trim())}/recover?since=${encodeURIComponent(at)}`);
      result.textContent = `${r.replayed} sent again.`;
    } catch (err) { result.textContent = err.message; }
  });
  return form;
}

export async function activityView(ctx) {
  const { view } = ctx;
  try { names = new Map((await api('GET', '/admin/targets')).map((t) => [t.id, t.name])); } catch { /* ids will do */ }
  const list = h('ul', { class: 'plain', id: 'events' });
  const olderButton = h('button', { type: 'button', text: 'Older', hidden: true });
  const detailBox = h('div');
  const form = h('form', { class: 'card', id: 'activity-filters', role: 'search' },
    h('div', { class: 'row' },
      field('Search', h('input', { name: 'q', type: 'search', placeholder: 'a title, a name…' })),
      field('Outcome', select(OUTCOMES, '', { name: 'outcome' })),
      field('Target', h('input', { name: 'target', autocomplete: 'off' })),
      field('Source', h('input', { name: 'source', autocomplete: 'off' })),
      field('Look up an id', h('input', { name: 'id', autocomplete: 'off', placeholder: 'event, webhook-id or sender id' }))));
  let before = null;
  let until = null;
  const load = async (append) => {
    try {
      const more = append && before ? `&before=${before}` : append && until ? `&until=${encodeURIComponent(until)}` : '';
      const page = await api('GET', `/admin/events?${query(form)}${more}`);
      const rows = page.events.map((e) => row(e, detailBox));
      if (append) list.append(...rows);
      else show(list, rows.length ? rows : h('li', { class: 'help', text: 'Nothing here yet: accepted webhooks show up as they arrive.' }));
      before = page.next_before;
      until = page.next_until;
      olderButton.hidden = !before && !until;
    } catch (e) { show(list, h('li', { class: 'error', text: e.message })); }
  };
  form.addEventListener('input', debounce(() => load(false), 400));
  form.addEventListener('submit', (e) => { e.preventDefault(); load(false); });
  olderButton.addEventListener('click', () => load(true));
  show(view, h('h1', { text: 'Activity' }),
    h('p', { class: 'help', text: 'What became of every webhook Herald accepted, for the retention period (7 days by default).' }),
    form, list, h('div', { class: 'actions' }, olderButton), detailBox, recover());
  await load(false);
  // New events while the list is seen; nothing while the tab is hidden.
  const timer = setInterval(() => { if (document.visibilityState === 'visible' && !before && !until) load(false); }, REFRESH_MS);
  ctx.onLeave(() => clearInterval(timer));
}

// The last few deliveries to one target, and the health warnings Herald sent about it, for its card.
export async function recentDeliveries(targetId, into) {
  const page = await api('GET', `/admin/events?target=${encodeURIComponent(targetId)}&limit=5`);
  const chips = page.events.map((e) => {
    if (e.about === targetId) {
      return h('span', { class: 'chip warning', title: time(e.received_at), text: `warned the others · ${e.summary.slice(0, 60)}` });
    }
    const d = e.deliveries.find((x) => x.target_id === targetId);
    if (!d) return null;
    return h('span', { class: `chip ${d.outcome}`, title: `${time(e.received_at)} · ${e.summary}`,
      text: `${outcomeLabel(d)} · ${e.summary.slice(0, 40)}` });
  }).filter(Boolean);
  show(into, chips.length ? h('div', { class: 'chips recent', 'aria-label': 'Recent deliveries' }, chips) : null);
}
