// Talking to the emulator: reads from /_emulator/ui/ (shaped for the chosen person, no tokens), writes
// through the control API as that person; and the page-level error shown when a request fails.

import { $ } from './dom.js';
import { state } from './state.js';

export const UI = '/_emulator/ui';

class RequestError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export async function getJson(path) {
  const res = await fetch(path, { headers: { Accept: 'application/json' } });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new RequestError(res.status, body.message ?? `${res.status} ${res.statusText}`);
  return body;
}

/** Act as the current person through the control API. */
export async function act(action, body) {
  const res = await fetch(`/_emulator/act/${encodeURIComponent(state.meRef)}/${action}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) throw new RequestError(res.status, json.message ?? `${res.status} ${res.statusText}`);
  return json;
}

export const q = (path, params) => `${UI}${path}?${new URLSearchParams(params)}`;

/** A failure the page cannot go on from: shown on the chooser; the access check's 401 and 403 explained. */
export function showFatal(err) {
  const box = $('chooser-error');
  if (err?.status === 401)
    box.textContent = 'This emulator was started with a control token; the chat page works only without one.';
  else if (err?.status === 403)
    box.textContent =
      'The chat page works only from the machine the emulator runs on (http://127.0.0.1 or http://localhost).';
  else box.textContent = `Something went wrong: ${err?.message ?? err}`;
  box.hidden = false;
  $('chooser').hidden = false;
  console.error(err);
}
