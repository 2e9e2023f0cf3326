// A target's signing secret replaced with an overlap: a Standard Webhooks target signs each
// delivery with both secrets for a day, so its receiver keeps verifying while it is given the new
// one; a hex signature header holds one signature, so that switch is immediate (and said so).
import { api } from './api.js';
import { copyableRow, h, show, time } from './dom.js';

export function rotation(stored) {
  const box = h('div', { class: 'rotation', 'aria-live': 'polite' });
  const overlapLine = (until) => h('p', { class: 'meta',
    text: `Until ${time(until)}, each delivery is signed with the new secret and the replaced one: either verifies it.` });
  const standard = stored.signature !== 'hex';
  const ask = standard
    ? `Make a new signing secret for ${stored.name}? For 24 hours each delivery carries both signatures, so the receiver keeps verifying while you give it the new secret.`
    : `Make a new signing secret for ${stored.name}? A hex signature header holds one signature: deliveries are signed with the new secret at once, and the receiver refuses them until it has it.`;
  const button = h('button', { type: 'button', text: 'New secret', onclick: async () => {
    if (!confirm(ask)) return;
    button.disabled = true;
    try {
      const r = await api('POST', `/admin/targets/${encodeURIComponent(stored.id)}/secret`, {},
        { 'If-Match': `"${stored.version}"` });
      // The target is one version on: a save from this editor replaces that version.
      stored.version = r.version;
      show(box,
        h('p', { class: 'warning', text: 'The new secret is shown only now: give it to the receiver.' }),
        copyableRow('New secret', r.secret),
        r.previous_until ? overlapLine(r.previous_until)
          : h('p', { class: 'meta', text: 'The old secret signs nothing from now on.' }));
    } catch (e) {
      show(box, h('p', { class: 'error', role: 'alert', text: e.message }));
      button.disabled = false;
    }
  } });
  if (stored.previous_secret) show(box, overlapLine(stored.previous_secret.until));
  return h('div', {}, h('div', { class: 'actions' }, button), box);
}
