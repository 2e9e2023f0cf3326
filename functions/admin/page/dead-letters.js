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
    h('p', { class: 'help', text: 'Almost always empty. A notification lands here only when Herald itself could not handle it five times in a row — usually because AWS was briefly unavailable or a setting was wrong — never because a target was down (those wait in the target\'s parking lot and go out when it is back).' }),
    h('p', { class: 'help', text: 'Nothing here is lost: it is kept for 14 days. Once the cause is fixed (the alarm e-mail and the functions\' logs say what it was), Redrive all sends everything here back through Herald; deliveries keep their webhook-id, so a receiver that saw one already can ignore it. In the Activity view these show as dead-lettered.' }),
    h('p', { class: 'help', text: '"deliveries" are notifications on their way to a target; "wakeups" are Herald\'s own timers for retrying a failing target (Herald\'s 10-minute sweep wakes a target whose timer was lost, so redriving them is harmless).' }),
    h('div', { class: 'card' },
      h('ul', { class: 'plain' }, counts.map(([queue, n]) => h('li', { text: `${queue}: ${n}` }))),
      h('ul', { class: 'plain' }, data.messages.map((m) =>
        h('li', { class: 'meta', text: `${m.queue} · received ${m.receive_count}× · ${m.summary}` }))),
      h('div', { class: 'actions' }, redrive), result));
}
