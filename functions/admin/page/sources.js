// Sources: where webhooks come from. Adding one shows its URL and credential once, with the
// sender's own setup steps.
import { api, catalog } from './api.js';
import { copyButton, copyableRow, field, h, select, show, time } from './dom.js';

const AUTH = [['token', 'Token'], ['hmac_hex', 'HMAC signature (sha256=hex)'], ['standard_webhooks', 'Standard Webhooks']];

function credentialRows(credential) {
  const rows = [];
  if (credential.token) rows.push(['Token', credential.token]);
  if (credential.secret) rows.push(['Secret', credential.secret]);
  if (credential.header) rows.push(['Signature header', credential.header]);
  return rows;
}

function created(source) {
  const url = source.url || `${location.origin}${source.path}`;
  const rows = [['Webhook URL', url], ...credentialRows(source.credential)];
  return h('section', { class: 'card', id: 'created-source', 'aria-live': 'polite' },
    h('h2', { text: `Source ${source.id} is ready` }),
    h('p', { class: 'warning', text: 'The credential is shown only now: copy it into the sender. Herald keeps only what it needs to check it.' }),
    source.previous_until ? h('p', { class: 'meta', text: `The one it replaces is accepted until ${time(source.previous_until)}.` }) : null,
    rows.map(([label, value]) => h('div', {},
      h('label', { text: label }),
      copyableRow(label, value))),
    h('h3', { text: 'Set up the sender' }),
    h('ol', { class: 'steps' }, (source.setup || []).map((s) => h('li', { text: s.replaceAll(source.path, url) }))));
}

function health(source) {
  const accepted = source.health?.last_accepted;
  const refused = source.health?.last_refused;
  return h('ul', { class: 'plain meta' },
    accepted ? h('li', { text: `last accepted ${time(accepted.at)}: ${accepted.event}` }) : h('li', { text: 'nothing accepted yet' }),
    refused ? h('li', { class: 'error', text: `last refused ${time(refused.at)}: ${refused.status} ${refused.reason}` }) : null);
}

// A source's settings, edited in place: PATCH sends only what this form holds; empty means the default.
function settingsForm(source, reload) {
  const lines = (v) => (v ?? []).join('\n');
  const list = (text) => text.split('\n').map((l) => l.trim()).filter(Boolean);
  const summary = h('input', { name: 'summary', value: source.summary ?? '', placeholder: "the sender's own summary" });
  const dedupe = h('input', { name: 'dedupe_window_secs', type: 'number', min: 0, value: source.dedupe_window_secs ?? '', placeholder: 'the default' });
  const header = h('input', { name: 'delivery_id_header', value: source.delivery_id_header ?? '', placeholder: 'none' });
  const pointer = h('input', { name: 'event_pointer', value: source.event_pointer ?? '', placeholder: '/event, /type or /notificationType' });
  const drop = h('textarea', { name: 'drop', rows: 2, placeholder: 'one JSON pointer a line, e.g. /config' });
  drop.value = lines(source.drop);
  const dropNames = h('textarea', { name: 'drop_names', rows: 3 });
  dropNames.value = lines(source.drop_names);
  const error = h('p', { class: 'error', role: 'alert' });
  const form = h('form', { class: 'source-settings' },
    field('Summary template', summary, 'e.g. {{event}}: {{title}}; empty: the sender\'s own'),
    field('Dedupe window (seconds)', dedupe, '0 turns dedupe off; empty: the default'),
    field('Delivery-id header', header, 'a header the sender keeps across its retries'),
    source.kind === 'generic' ? field('Event name at (JSON pointer)', pointer) : null,
    field('Drop these JSON pointers', drop),
    field('Drop fields named like', dropNames, 'one pattern a line (* and ? wildcards); empty: none'),
    error,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary', text: 'Save settings' })));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.textContent = '';
    const body = {
      summary: summary.value.trim() || null,
      dedupe_window_secs: dedupe.value === '' ? null : Number(dedupe.value),
      delivery_id_header: header.value.trim() || null,
      drop: list(drop.value),
      drop_names: list(dropNames.value),
    };
    if (source.kind === 'generic') body.event_pointer = pointer.value.trim() || null;
    // Only over the version this form shows: an edit or a rotation made meanwhile is not undone.
    const ifMatch = { 'If-Match': `"${source.version}"` };
    try { await api('PATCH', `/admin/sources/${encodeURIComponent(source.id)}`, body, ifMatch); reload(); }
    catch (err) {
      if (err.status === 409) {
        show(error, 'This source was changed elsewhere since the page read it. ',
          h('button', { type: 'button', text: 'Reload it (drops these edits)', onclick: reload }));
      } else error.textContent = `${err.field ? `${err.field}: ` : ''}${err.message}`;
    }
  });
  return form;
}

function card(source, reload, onCredential) {
  const settings = h('div');
  const auth = source.auth.type === 'hmac_hex' ? `HMAC in ${source.auth.header}` : source.auth.type.replace('_', ' ');
  return h('article', { class: 'card source', 'data-id': source.id },
    h('div', { class: 'title' }, h('strong', { text: source.id }), h('span', { class: 'meta', text: `${source.kind} · ${auth}` })),
    h('div', { class: 'row' }, h('span', { class: 'meta', text: `${location.origin}${source.path}` }),
      copyButton(`${location.origin}${source.path}`, 'Copy URL')),
    health(source),
    source.previous_until ? h('p', { class: 'meta', text: `the replaced credential is accepted until ${time(source.previous_until)}` }) : null,
    h('div', { class: 'actions' },
      // A lost or leaked credential is replaced here; the old one overlaps for a day unless it leaked.
      h('button', { type: 'button', text: 'Settings', onclick: () => {
        show(settings, settings.firstChild ? null : settingsForm(source, reload));
      } }),
      h('button', { type: 'button', text: 'New credential', onclick: async () => {
        if (!confirm(`Make a new credential for ${source.id}? The current one is still accepted for 24 hours, so you can update the sender meanwhile.`)) return;
        try { onCredential(await api('POST', `/admin/sources/${encodeURIComponent(source.id)}/credential`)); reload(); } catch (e) { alert(e.message); }
      } }),
      h('button', { type: 'button', class: 'danger', text: 'Delete',
      onclick: async () => {
        if (!confirm(`Delete source ${source.id}? Its webhooks will be refused from now on.`)) return;
        try { await api('DELETE', `/admin/sources/${encodeURIComponent(source.id)}`); reload(); } catch (e) { alert(e.message); }
      } })),
    settings);
}

async function addForm(onCreated) {
  const kinds = (await catalog()).sources;
  const id = h('input', { name: 'id', required: true, pattern: '[A-Za-z0-9_\\-]+', placeholder: 'ombi', autocomplete: 'off' });
  const kind = select(kinds.map((k) => [k.kind, `${k.label} (${k.kind})`]), 'ombi', { name: 'kind' });
  const auth = select(AUTH, 'token', { name: 'auth' });
  kind.addEventListener('change', () => { auth.value = kinds.find((k) => k.kind === kind.value)?.auth ?? 'token'; });
  const error = h('p', { class: 'error', role: 'alert' });
  const form = h('form', { class: 'card', id: 'add-source' },
    h('h2', { text: 'Add a source' }),
    h('div', { class: 'row' },
      field('Id (the end of its URL)', id),
      field('Kind', kind),
      field('Authentication', auth)),
    error,
    h('div', { class: 'actions' }, h('button', { class: 'primary', type: 'submit', text: 'Add source' })));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.textContent = '';
    try {
      const source = await api('POST', '/admin/sources', { id: id.value.trim(), kind: kind.value, auth: { type: auth.value } });
      form.reset();
      onCreated(source);
    } catch (err) { error.textContent = err.message; }
  });
  return form;
}

export async function sourcesView({ view }) {
  const list = h('div', { id: 'sources' });
  const fresh = h('div');
  const reload = async () => {
    try {
      const sources = await api('GET', '/admin/sources');
      show(list, sources.length ? sources.map((s) => card(s, reload, (c) => show(fresh, created(c)))) : h('p', { class: 'help', text: 'No sources yet.' }));
    } catch (e) { show(list, h('p', { class: 'error', text: e.message })); }
  };
  let form;
  try { form = await addForm((source) => { show(fresh, created(source)); reload(); }); } catch (e) { form = h('p', { class: 'error', text: e.message }); }
  show(view, h('h1', { text: 'Sources' }), fresh, form, h('h2', { text: 'Your sources' }), list);
  reload();
}
