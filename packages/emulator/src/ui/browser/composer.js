// The composer: text with @mentions, one attached file, Enter to send.

import { avatar } from './avatar.js';
import { $, el } from './dom.js';
import { formatSize } from './messages.js';
import { act } from './server.js';
import { state } from './state.js';

function composerError(message) {
  const box = $('composer-error');
  box.textContent = message ?? '';
  box.hidden = !message;
}

export function setFile(file) {
  state.file = file;
  $('attachment-chip').hidden = !file;
  $('chip-name').textContent = file ? `${file.name} · ${formatSize(file.size)}` : '';
}

async function fileToBase64(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000)
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** `@Name` of each picked mention -> `<@personId:ID|Name>` (how Webex clients send mentions). */
function withMentions(text) {
  let out = text;
  for (const m of state.mentions) out = out.split(`@${m.name}`).join(`<@personId:${m.id}|${m.name}>`);
  return out;
}

export async function send(e) {
  e?.preventDefault();
  // The space chosen, even while it is still loading: not the one shown before it.
  if (!state.spaceId) return;
  const textarea = /** @type {HTMLTextAreaElement} */ ($('text'));
  const text = textarea.value.trim();
  const file = state.file;
  if (!text && !file) return;
  composerError('');
  const body = { room: state.spaceId };
  if (text) body.markdown = withMentions(text);
  const button = $('send');
  button.setAttribute('disabled', '');
  try {
    if (file)
      body.file = {
        name: file.name,
        contentType: file.type || 'application/octet-stream',
        base64: await fileToBase64(file),
      };
    await act('post', body);
    textarea.value = '';
    state.mentions = [];
    setFile(null);
    autosize();
  } catch (err) {
    composerError(err.message);
  } finally {
    button.removeAttribute('disabled');
    textarea.focus();
  }
}

export function autosize() {
  const t = $('text');
  t.style.height = 'auto';
  t.style.height = `${Math.min(t.scrollHeight, 160)}px`;
}

// @mentions: typing @ offers the space's members.
const mention = { open: false, start: 0, items: /** @type {any[]} */ ([]), index: 0 };

export function updateMentionMenu() {
  const t = /** @type {HTMLTextAreaElement} */ ($('text'));
  const before = t.value.slice(0, t.selectionStart);
  const match = /(^|\s)@([^\n@]{0,30})$/.exec(before);
  const members = (state.space?.members ?? []).filter((m) => m.id !== state.me.id);
  if (!match || members.length === 0) return closeMentionMenu();
  const query = match[2].toLowerCase();
  const items = members
    .filter((m) => m.displayName.toLowerCase().includes(query) || m.email.toLowerCase().startsWith(query))
    .slice(0, 8);
  if (items.length === 0) return closeMentionMenu();
  mention.open = true;
  mention.start = before.length - match[2].length - 1;
  mention.items = items;
  mention.index = Math.min(mention.index, items.length - 1);
  const menu = $('mention-menu');
  menu.replaceChildren(
    ...items.map((m, i) =>
      el(
        'button',
        {
          type: 'button',
          role: 'option',
          class: `mention-option${i === mention.index ? ' active' : ''}`,
          'aria-selected': String(i === mention.index),
          onmousedown: (e) => {
            e.preventDefault();
            pickMention(i);
          },
        },
        avatar(m, 'sm'),
        el('span', { text: m.displayName }),
        m.type === 'bot'
          ? el('span', { class: 'tag tag-bot', text: 'Bot' })
          : el('span', { class: 'muted', text: m.email }),
      ),
    ),
  );
  menu.hidden = false;
}

export function closeMentionMenu() {
  mention.open = false;
  mention.index = 0;
  $('mention-menu').hidden = true;
}

function pickMention(i) {
  const m = mention.items[i];
  if (!m) return;
  const t = /** @type {HTMLTextAreaElement} */ ($('text'));
  const insert = `@${m.displayName} `;
  t.value = t.value.slice(0, mention.start) + insert + t.value.slice(t.selectionStart);
  const caret = mention.start + insert.length;
  t.setSelectionRange(caret, caret);
  if (!state.mentions.some((x) => x.id === m.id)) state.mentions.push({ id: m.id, name: m.displayName });
  closeMentionMenu();
  t.focus();
}

export function onComposerKey(e) {
  if (mention.open) {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      const n = mention.items.length;
      mention.index = (mention.index + (e.key === 'ArrowDown' ? 1 : n - 1)) % n;
      updateMentionMenu();
      return;
    }
    if (e.key === 'Enter' || e.key === 'Tab') {
      e.preventDefault();
      pickMention(mention.index);
      return;
    }
    if (e.key === 'Escape') {
      closeMentionMenu();
      return;
    }
  }
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    send();
  }
}
