// A person's avatar: initials on a colour derived from their id.

import { el } from './dom.js';

function initials(name) {
  const parts = String(name).trim().split(/\s+/);
  return ((parts[0]?.[0] ?? '?') + (parts.length > 1 ? (parts.at(-1)?.[0] ?? '') : '')).toUpperCase();
}

function hue(s) {
  let h = 0;
  for (const c of String(s)) h = (h * 31 + c.codePointAt(0)) % 360;
  return h;
}

export function avatar(person, size = 'md') {
  const name = person?.displayName ?? person?.personName ?? '?';
  const id = person?.personId ?? person?.id ?? name;
  const a = el('span', { class: `avatar avatar-${size}`, 'aria-hidden': 'true', text: initials(name) });
  a.style.setProperty('--h', String(hue(id)));
  if ((person?.type ?? person?.personType) === 'bot') a.classList.add('avatar-bot');
  return a;
}
