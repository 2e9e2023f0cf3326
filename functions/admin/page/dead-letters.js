// The dead letters: messages that failed to be processed again and again, and a redrive.
import { api } from './api.js';
import { h, show } from './dom.js';

export async function deadLettersView({ view }) {
  show(view, h('h1', { text: 'Dead letters' }), h('p', { class: 'help', text: 'Loading…' }));
  let data;
  try {
    data = await api('GET', '/admin/dead-letters');
  } catch (e) {
    show(view, h('h1', { text: 'Dead letters' }), h('p', { class: 'error', text: e.message }));
    return;
  }
  const counts = Object.entries(data).filter(([k]) => k !== 'messages');
  const total = counts.reduce((n, [, c]) => n + Number(c), 0);
  const result = h('p', { role: 'status' });
  const redrive = h('button', { class: 'primary', type: 'button', text: 'Redrive all', disabled: total === 0,
    onclick: async () => {
      redrive.disabled = true;
      try {
        const r = await api('POST', '/admin/dead-letters/redrive');
        result.textContent = `${r.redriven} message(s) moved back to their queues.`;
      } catch (e) { result.textContent = e.message; redrive.disabled = false; }
    } });
  show(view,
    h('h1', { text: 'Dead letters' }),
    h('p', { class: 'help', text: 'Messages a function failed to process several times wait here; redrive moves them back once the cause is fixed.' }),
    h('div', { class: 'card' },
      h('ul', { class: 'plain' }, counts.map(([queue, n]) => h('li', { text: `${queue}: ${n}` }))),
      h('ul', { class: 'plain' }, data.messages.map((m) =>
        h('li', { class: 'meta', text: `${m.queue} · received ${m.receive_count}× · ${m.summary}` }))),
      h('div', { class: 'actions' }, redrive), result));
}
