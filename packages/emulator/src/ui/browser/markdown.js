// Markdown (the Webex subset), safely: message and card text as HTML, every other character escaped,
// mentions shown as names.

import { state } from './state.js';

const ESC = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => ESC[c]);
const MENTION = /<@(personId|personEmail):([^|>\s]+)(?:\|([^>]*))?>|<@all>/g;

const personById = (id) => state.people.find((p) => p.id === id);

/** A REST PEOPLE id or a bare uuid -> the person, if known. */
function personByMention(kind, value) {
  if (kind === 'personEmail') return state.people.find((p) => p.email.toLowerCase() === value.toLowerCase());
  const direct = personById(value);
  if (direct) return direct;
  return state.people.find((p) => uuidOf(p.id) === value);
}

function uuidOf(restId) {
  try {
    const s = atob(restId.replace(/-/g, '+').replace(/_/g, '/'));
    return s.slice(s.lastIndexOf('/') + 1);
  } catch {
    return '';
  }
}

/**
 * Escape everything first, then turn the few marks Webex renders into tags: mentions (as names),
 * `code`, **bold**, *italic*, [links](https://…), lists of `- ` lines, paragraphs and line breaks.
 */
export function renderMarkdown(source) {
  const slots = [];
  const slot = (html) => `\u0000${slots.push(html) - 1}\u0000`;
  let s = String(source).replace(/\u0000/g, '');
  s = s.replace(MENTION, (all, kind, value, name) => {
    if (all === '<@all>') return slot('<span class="mention">@all</span>');
    const person = personByMention(kind, value);
    const shown = person?.displayName ?? name ?? value;
    const mine = person && state.me && person.id === state.me.id;
    return slot(`<span class="mention${mine ? ' mention-me' : ''}">@${escapeHtml(shown)}</span>`);
  });
  s = s.replace(/`([^`\n]+)`/g, (_, code) => slot(`<code>${escapeHtml(code)}</code>`));
  s = escapeHtml(s);
  s = s.replace(/\[([^\]\n]+)\]\(((?:https?:\/\/|mailto:)[^\s)]+)\)/g, (_, text, href) =>
    slot(`<a href="${href}" target="_blank" rel="noopener noreferrer">${text}</a>`),
  );
  s = s
    .replace(/\*\*(?=\S)([^\n]*?\S)\*\*/g, '<strong>$1</strong>')
    .replace(/__(?=\S)([^\n]*?\S)__/g, '<strong>$1</strong>')
    .replace(/\*(?=\S)([^*\n]*?\S)\*/g, '<em>$1</em>')
    .replace(/(^|[\s(])_(?=\S)([^_\n]*?\S)_(?=$|[\s).,!?:;])/gm, '$1<em>$2</em>');
  const LIST_ITEM = /^\s*[-*] /;
  const blocks = s
    .trim()
    .split(/\n\s*\n/)
    .map((block) => {
      // Runs of `- ` lines become a list; other lines keep their breaks.
      let html = '';
      let text = [];
      let items = [];
      const flush = () => {
        if (text.length) html += `<p>${text.join('<br>')}</p>`;
        if (items.length) html += `<ul>${items.map((i) => `<li>${i}</li>`).join('')}</ul>`;
        text = [];
        items = [];
      };
      for (const raw of block.split('\n')) {
        const line = raw.replace(/ {2,}$/, '');
        if (LIST_ITEM.test(line)) {
          if (text.length) flush();
          items.push(line.replace(LIST_ITEM, ''));
        } else {
          if (items.length) flush();
          text.push(line);
        }
      }
      flush();
      return html;
    });
  return blocks.join('').replace(/\u0000(\d+)\u0000/g, (_, i) => slots[Number(i)] ?? '');
}

export function renderPlain(text) {
  return String(text)
    .trim()
    .split(/\n\s*\n/)
    .map((b) => `<p>${escapeHtml(b).replace(/\n/g, '<br>')}</p>`)
    .join('');
}
