// Adding or editing a target: the form, event toggles from the catalog, and a live preview of the
// request for a sample event, validated as a save would be.
import { api, catalog } from './api.js';
import { debounce, field, h, select, show } from './dom.js';
import { rotation } from './secret.js';
import { testResult } from './targets.js';

const REDACTED = '[redacted]';
const METHODS = ['POST', 'PUT', 'PATCH', 'GET'].map((m) => [m]);
const SIGNATURES = [['standard', 'Standard Webhooks (webhook-signature)'], ['hex', 'sha256=<hex> in a header (GitHub style)']];

function glob(pattern, text) {
  const re = pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(`^${re}$`).test(text);
}

// Whether a stored pattern covers `kind:name` (a source-id prefix is not a kind: it stays as typed).
function covers(pattern, kind, name) {
  const [source, rest] = pattern.includes(':') ? pattern.split(/:(.*)/s) : ['*', pattern];
  return (source === '*' || source === kind) && glob(rest, name);
}

function keyValueRows(rows, keyLabel, valueLabel, onChange) {
  const box = h('div', { class: 'rows' });
  const add = (key = '', value = '', stored = false) => {
    const k = h('input', { value: key, placeholder: keyLabel, 'aria-label': keyLabel, oninput: onChange });
    const v = h('input', { value: stored ? '' : value, placeholder: stored ? 'stored value kept: type to replace' : valueLabel,
      'aria-label': valueLabel, oninput: onChange });
    const row = h('div', { class: 'row kv' }, k, v,
      h('button', { type: 'button', class: 'quiet', text: 'Remove', onclick: () => { row.remove(); onChange(); } }));
    row.read = () => [k.value.trim(), v.value, stored];
    box.append(row);
  };
  for (const [key, value, stored] of rows) add(key, value, stored);
  const el = h('div', {}, box, h('button', { type: 'button', text: `Add ${keyLabel.toLowerCase()}`, onclick: () => add() }));
  el.read = () => [...box.children].map((r) => r.read()).filter(([k]) => k);
  return el;
}

// The senders you have sources of come first, open; the others wait behind one button.
function toggles(cat, stored, onChange, inUse) {
  const everything = h('input', { type: 'checkbox', id: 'all-events', checked: !stored?.events, onchange: () => { touched = true; sync(); onChange(); } });
  let touched = false;
  const boxes = [];
  const known = new Set();
  const groups = cat.sources.map((src) => {
    const events = src.events.length ? src.events : [{ name: '*', chatty: false }];
    const mentioned = (stored?.events ?? []).some((p) => p.startsWith(`${src.kind}:`));
    return h('fieldset', { class: 'card', 'data-kind': src.kind, hidden: !inUse.has(src.kind) && !mentioned && inUse.size > 0 },
      h('legend', { text: `${src.label ?? src.kind} (${src.kind})` }),
      h('div', { class: 'toggles' }, events.map((e) => {
        const pattern = `${src.kind}:${e.name}`;
        known.add(pattern);
        const on = stored?.events ? stored.events.some((p) => covers(p, src.kind, e.name)) : !e.chatty;
        const box = h('input', { type: 'checkbox', 'data-pattern': pattern, checked: on, onchange: () => { touched = true; onChange(); } });
        boxes.push(box);
        const label = e.name === '*' ? `every ${src.kind} event` : e.name;
        const chatty = e.chatty ? ' (chatty)' : e.chatty_when ? ` (chatty when ${e.chatty_when})` : '';
        return h('label', { class: 'check' }, box, label,
          e.fires_when ? h('span', { class: 'help', text: `\u00a0— fires when ${e.fires_when}${chatty}` }) : (chatty ? h('span', { class: 'help', text: chatty }) : null));
      })));
  });
  const others = (stored?.events ?? []).filter((p) => !known.has(p) && !cat.sources.some((s) => p.startsWith(`${s.kind}:`)));
  const other = h('input', { id: 'other-events', value: others.join(', '), placeholder: 'e.g. my-source:push, *.failed',
    oninput: () => { touched = true; onChange(); } });
  const hiddenKinds = groups.filter((g) => g.hidden).length;
  const showAll = hiddenKinds ? h('button', { type: 'button', id: 'all-kinds', text: `Show every sender (${hiddenKinds} more)`,
    onclick: () => { groups.forEach((g) => { g.hidden = false; }); showAll.remove(); } }) : null;
  const detail = h('div', {}, groups, showAll, field('Other patterns (comma-separated)', other, '* matches anything; a source: prefix narrows to a source id or kind.'));
  const sync = () => { detail.hidden = everything.checked; };
  sync();
  const el = h('div', {}, h('label', { class: 'check' }, everything, 'Every event except the chatty ones'), detail);
  el.read = () => {
    if (everything.checked) return undefined;
    if (!touched && stored?.events) return stored.events;
    const chosen = boxes.filter((b) => b.checked).map((b) => b.dataset.pattern);
    return [...chosen, ...other.value.split(',').map((p) => p.trim()).filter(Boolean)];
  };
  return el;
}

function insertAt(textarea, text) {
  const { selectionStart: a, selectionEnd: b, value } = textarea;
  textarea.value = value.slice(0, a) + text + value.slice(b);
  textarea.selectionStart = textarea.selectionEnd = a + text.length;
  textarea.focus();
  textarea.dispatchEvent(new Event('input'));
}

export async function editor(ctx, id) {
  const { view } = ctx;
  // The address names the editor: Back leaves it, a reload reopens it.
  const here = id ? `#targets/edit/${encodeURIComponent(id)}` : '#targets/new';
  if (location.hash !== here) history.pushState(null, '', here);
  let dirty = false;
  const unsaved = (e) => { if (dirty) e.preventDefault(); };
  window.addEventListener('beforeunload', unsaved);
  ctx.onLeave(() => window.removeEventListener('beforeunload', unsaved));
  ctx.guard(() => !dirty || confirm('Leave without saving your edits to this target?'));
  const [cat, stored, sources] = await Promise.all([catalog(), id ? api('GET', `/admin/targets/${id}`) : null,
    api('GET', '/admin/sources').catch(() => [])]);
  const changed = () => refreshPreview();
  const name = h('input', { name: 'name', value: stored?.name ?? '', required: true, oninput: changed });
  const url = h('input', { name: 'url', value: stored?.url ?? '', placeholder: 'https://discord.com/api/webhooks/…', oninput: changed });
  const method = select(METHODS, stored?.method ?? 'POST', { name: 'method', onchange: changed });
  const presetOf = (p) => cat.presets.find((e) => e.preset === p);
  const preset = select(cat.presets.map((p) => [p.preset]), stored?.preset ?? 'generic', { name: 'preset' });
  const limit = h('p', { class: 'help' });
  const body = h('textarea', { name: 'body', spellcheck: 'false', oninput: changed });
  body.value = stored?.body ?? presetOf(preset.value)?.body ?? '';
  let presetBody = presetOf(preset.value)?.body ?? '';
  // What the preset does beyond its body: the service's length limit, and its pace after an outage.
  const presetHelp = (p) => [
    p?.limit ? `Cut to fit: ${p.limit}.` : '',
    p?.release_pace_ms ? `After an outage, what it parked goes out in arrival order, one every ${p.release_pace_ms / 1000} s (the service's rate), so the channel reads in order without 429s.`
      : 'After an outage, what it parked goes out side by side, as fast as the receiver takes it (Strict order below sends it one by one).',
  ].filter(Boolean).join(' ');
  preset.addEventListener('change', () => {
    const p = presetOf(preset.value);
    if (!body.value.trim() || body.value === presetBody) body.value = p?.body ?? '';
    presetBody = p?.body ?? '';
    limit.textContent = presetHelp(p);
    changed();
  });
  limit.textContent = presetHelp(presetOf(preset.value));
  const contentType = h('input', { name: 'content_type', value: stored?.content_type ?? '', placeholder: 'the preset\'s', oninput: changed });
  const headers = keyValueRows(Object.entries(stored?.headers ?? {}).map(([k, v]) => [k, v, v === REDACTED]), 'Header', 'Value', changed);
  const events = toggles(cat, stored, changed, new Set(sources.map((s) => s.kind)));
  const when = keyValueRows(Object.entries(stored?.when ?? {}).map(([k, v]) => [k, v.join(', ')]), 'Field', 'Values, comma-separated', changed);
  const secret = h('input', { name: 'secret', type: 'password', autocomplete: 'off', oninput: changed,
    placeholder: stored?.secret ? 'stored secret kept: type to replace' : 'none: requests are not signed' });
  const dropSecret = h('input', { type: 'checkbox', onchange: changed });
  const signature = select(SIGNATURES, stored?.signature ?? 'standard', { name: 'signature', onchange: () => { sigHeader.hidden = signature.value !== 'hex'; changed(); } });
  const sigHeaderInput = h('input', { name: 'signature_header', value: stored?.signature_header ?? '', placeholder: 'X-Herald-Signature-256', oninput: changed });
  const sigHeader = field('Signature header', sigHeaderInput);
  sigHeader.hidden = signature.value !== 'hex';
  const timeout = h('input', { name: 'timeout_ms', type: 'number', min: 1, max: 30000, value: stored?.timeout_ms ?? 10000, oninput: changed });
  const enabled = h('input', { type: 'checkbox', name: 'enabled', checked: stored ? stored.enabled : true, onchange: changed });
  const ordered = h('input', { type: 'checkbox', name: 'ordered', checked: stored?.ordered ?? false, onchange: changed });

  // The preview's sample event and the body's placeholder buttons follow the chosen kind.
  const kinds = cat.sources.map((s) => s.kind);
  // The sample follows the senders you have: the first one with a source, else Ombi's.
  const firstInUse = kinds.find((k) => sources.some((s) => s.kind === k));
  const sampleKind = select(kinds.map((k) => [k]), firstInUse ?? (kinds.includes('ombi') ? 'ombi' : kinds[0]), { 'aria-label': 'Sample source kind' });
  const sampleEvent = h('select', { 'aria-label': 'Sample event' });
  const chips = h('div', { class: 'chips', id: 'placeholders' });
  const fillSamples = () => {
    const src = cat.sources.find((s) => s.kind === sampleKind.value);
    show(sampleEvent, h('option', { value: '', text: 'its sample event' }), src.events.map((e) => h('option', { value: e.name, text: e.name })));
    // Every placeholder, each with its value in this sender's sample: Herald's own first, then the sender's fields.
    const samples = new Map(src.placeholders.map(([n, v]) => [n, typeof v === 'string' ? v : JSON.stringify(v)]));
    // Each button says what it holds (Herald's own) or where it comes from, and its sample value.
    const chip = (n) => {
      const value = (samples.get(n) ?? '').slice(0, 80);
      const what = cat.descriptions[n] ?? `${src.label}'s own field`;
      const example = value ? `e.g. ${value}` : 'no value in this sample';
      return h('button', { type: 'button', text: `{{${n}}}`, title: `${what}; ${example}`,
        'data-search': `${n} ${what} ${value}`.toLowerCase(),
        'aria-label': `insert {{${n}}}: ${what}; ${example}`, onclick: () => insertAt(body, `{{${n}}}`) });
    };
    const own = [...samples.keys()].filter((n) => !cat.canonical.includes(n));
    const mine = own.length ? h('details', {}, h('summary', { text: `${own.length} fields of this sender's sample` }), own.map(chip)) : null;
    // Typing narrows the buttons to those whose name, description or sample value matches.
    const filter = h('input', { type: 'search', id: 'placeholder-filter', placeholder: 'Find a placeholder: name, meaning or value',
      'aria-label': 'Find a placeholder', oninput: () => {
        const q = filter.value.trim().toLowerCase();
        for (const b of chips.querySelectorAll('button[data-search]')) b.hidden = q !== '' && !b.dataset.search.includes(q);
        if (mine && q) mine.open = true;
      } });
    show(chips, filter, cat.canonical.map(chip), mine);
  };
  fillSamples();
  sampleKind.addEventListener('change', () => { fillSamples(); changed(); });
  sampleEvent.addEventListener('change', changed);

  const draft = () => {
    const t = { name: name.value, url: url.value.trim(), method: method.value, preset: preset.value,
      timeout_ms: Number(timeout.value) || undefined, enabled: enabled.checked, ordered: ordered.checked,
      signature: signature.value, headers: {} };
    if (stored) { t.id = stored.id; t.version = stored.version; }
    if (body.value.trim()) t.body = body.value;
    if (contentType.value.trim()) t.content_type = contentType.value.trim();
    for (const [k, v, kept] of headers.read()) t.headers[k] = v === '' && kept ? REDACTED : v;
    const chosen = events.read();
    if (chosen) t.events = chosen;
    const conditions = when.read();
    if (conditions.length) t.when = Object.fromEntries(conditions.map(([k, v]) => [k, v.split(',').map((s) => s.trim()).filter(Boolean)]));
    if (!dropSecret.checked) {
      if (secret.value) t.secret = secret.value;
      else if (stored?.secret) t.secret = REDACTED;
    }
    if (signature.value === 'hex' && sigHeaderInput.value.trim()) t.signature_header = sigHeaderInput.value.trim();
    return t;
  };

  const errors = h('p', { class: 'error', role: 'alert', id: 'form-error' });
  const request = h('pre', { id: 'preview-request' });
  const warnings = h('ul', { class: 'plain warning', id: 'preview-warnings' });
  const problem = h('p', { class: 'error', id: 'preview-error', role: 'alert' });
  const standInNote = h('p', { class: 'help', id: 'preview-stand-in' });
  const where = (message) => message.match(/line (\d+),? column (\d+)/);
  const refreshPreview = debounce(async () => {
    try {
      // Until a name and URL are given, the preview uses stand-ins rather than showing only that they are missing.
      const d = draft();
      const standIns = [];
      if (!d.name?.trim()) { d.name = 'Unnamed target'; standIns.push('a name'); }
      if (!d.url?.trim()) { d.url = 'https://receiver.example/hook'; standIns.push('a URL'); }
      const p = await api('POST', '/admin/preview', { target: d, kind: sampleKind.value, event: sampleEvent.value || undefined });
      standInNote.textContent = standIns.length ? `Shown with a stand-in for ${standIns.join(' and ')} until you give one.` : '';
      problem.textContent = '';
      body.removeAttribute('aria-invalid');
      const lines = [`${p.method} ${p.url}`, ...Object.entries(p.headers).map(([k, v]) => `${k}: ${v}`), '', p.body];
      request.textContent = lines.join('\n');
      show(warnings, p.warnings.map((w) => h('li', { text: w })));
    } catch (e) {
      const at = e.field === 'body' ? where(e.message) : null;
      problem.textContent = `${e.field ? `${e.field}: ` : ''}${at ? `line ${at[1]}, column ${at[2]}: ` : ''}${e.message}`;
      if (e.field === 'body') body.setAttribute('aria-invalid', 'true');
      request.textContent = '';
      show(warnings);
    }
  }, 300);

  const save = h('button', { type: 'submit', class: 'primary', text: stored ? 'Save' : 'Add target' });
  // The saved target, sent the sample the preview shows (not the draft: Save first to test edits).
  const tested = h('div', { id: 'preview-test' });
  const testSample = stored ? h('button', { type: 'button', text: 'Test with this sample', onclick: async () => {
    testSample.disabled = true;
    show(tested, h('div', { class: 'result', text: 'Sending this sample to the saved target…' }));
    try {
      const r = await api('POST', `/admin/targets/${stored.id}/test`, { kind: sampleKind.value, event: sampleEvent.value || undefined });
      show(tested, testResult(r));
    } catch (err) { show(tested, h('p', { class: 'error', text: err.message })); }
    testSample.disabled = false;
  } }) : null;
  // Two parts around the preview: on a phone it comes right after the body, before Save.
  const form = h('form', { id: 'target-form', class: 'editor', novalidate: true },
    h('div', { class: 'editor-top' },
      h('h1', { text: stored ? `Edit ${stored.name}` : 'Add a target' }),
      field('Name', name),
      field('URL', url, 'A template: {{title}} and {tmdbId} are percent-encoded into it.'),
      h('div', { class: 'row' }, field('Method', method), field('Preset', preset), field('Timeout (ms)', timeout)),
      limit,
      h('h2', { text: 'Request' }),
      field('Body', body, 'Empty: the preset\'s body, or every field as JSON. Click a placeholder to insert it.'),
      chips),
    h('div', { class: 'editor-rest' },
      h('label', { text: 'Headers' }), headers,
      field('Content type', contentType),
      h('h2', { text: 'Events' }), events,
      h('h3', { text: 'Only when' }), h('p', { class: 'help', text: 'Optional: a field must have one of these values (e.g. status: done, error).' }), when,
      h('h2', { text: 'Signing' }),
      field('Secret', secret, 'Signs each request. Never shown again once saved.'),
      stored?.secret ? h('label', { class: 'check' }, dropSecret, 'Remove the stored secret') : null,
      stored?.secret ? rotation(stored) : null,
      field('Signature scheme', signature), sigHeader,
      h('label', { class: 'check' }, enabled, 'Enabled (a disabled target is sent nothing: webhooks that arrive while it is off are not routed to it; to keep them for later, use Pause on its card)'),
      h('label', { class: 'check' }, ordered, 'Strict order: any failure holds the target, and its backlog goes out one by one'),
      errors,
      h('div', { class: 'actions' }, save, h('button', { type: 'button', text: 'Cancel', onclick: () => {
        if (dirty && !confirm('Leave without saving your edits to this target?')) return;
        dirty = false;
        history.pushState(null, '', '#targets');
        ctx.open('targets');
      } }))),
    h('aside', { class: 'preview card', 'aria-label': 'Preview' },
      h('h2', { text: 'Preview' }),
      h('div', { class: 'row' }, sampleKind, sampleEvent),
      standInNote, problem, request, warnings, testSample, tested));
  // Edits to the target, not the preview's choice of sample.
  const edit = (e) => { if (!e.target.closest('aside') && e.target.id !== 'placeholder-filter') dirty = true; };
  form.addEventListener('input', edit);
  form.addEventListener('change', edit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    errors.textContent = '';
    save.disabled = true;
    try {
      const t = draft();
      if (stored) await api('PUT', `/admin/targets/${stored.id}`, t);
      else await api('POST', '/admin/targets', t);
      dirty = false;
      history.pushState(null, '', '#targets');
      ctx.open('targets');
    } catch (err) {
      if (err.status === 409 && stored) {
        // Someone saved it meanwhile: say so, and offer their version (these edits are not kept).
        show(errors, 'This target was changed elsewhere since you opened it. ',
          h('button', { type: 'button', text: 'Reload it (drops these edits)', onclick: () => editor(ctx, stored.id) }));
      } else {
        errors.textContent = `${err.field ? `${err.field}: ` : ''}${err.message}`;
      }
      save.disabled = false;
    }
  });
  show(view, form);
  name.focus();
  refreshPreview();
}
