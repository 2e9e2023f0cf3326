// Elements built from data, never from HTML strings: whatever a sender or a target name holds is text.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = value;
    else if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else if (key === 'value') el.value = value;
    else if (key === 'checked') el.checked = Boolean(value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function show(parent, ...children) {
  parent.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return parent;
}

export function field(label, input, help) {
  const id = input.id || `f-${Math.random().toString(36).slice(2)}`;
  input.id = id;
  return h('div', { class: 'field' }, h('label', { for: id, text: label }), input,
    help ? h('p', { class: 'help', text: help }) : null);
}

export function select(options, value, attrs = {}) {
  const el = h('select', attrs, options.map(([v, label]) => h('option', { value: v, text: label ?? v })));
  el.value = value ?? options[0]?.[0] ?? '';
  return el;
}

// A value shown once (a credential, a secret), with a button that copies it.
export function copyableRow(name, value) {
  return h('div', { class: 'row' }, h('span', { class: 'secret', 'data-copy': name, text: value }), copyButton(value));
}

export function copyButton(text, label = 'Copy') {
  const button = h('button', { type: 'button', class: 'fixed', text: label });
  button.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(text);
      button.textContent = 'Copied';
    } catch {
      button.textContent = 'Select and copy';
    }
    setTimeout(() => { button.textContent = label; }, 1500);
  });
  return button;
}

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
const UNITS = [['day', 86400], ['hour', 3600], ['minute', 60], ['second', 1]];

// "in 14 minutes", "3 hours ago": the largest unit that fits.
export function ago(at, now = Date.now()) {
  const seconds = Math.round((at.getTime() - now) / 1000);
  const [unit, size] = UNITS.find(([, size]) => Math.abs(seconds) >= size) ?? ['second', 1];
  return relative.format(Math.round(seconds / size), unit);
}

// The absolute time, the day too when it is not today: what a live region may announce, since it
// changes only when the time does.
export function clock(iso) {
  if (!iso) return '';
  const at = new Date(iso);
  return at.toDateString() === new Date().toDateString() ? at.toLocaleTimeString() : at.toLocaleString();
}

// The absolute time and how far it is from now.
export function time(iso) {
  return iso ? `${clock(iso)} (${ago(new Date(iso))})` : '';
}

export function debounce(fn, ms) {
  let timer;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
}
