// The message list of the open space.

import { avatar } from './avatar.js';
import { renderCard } from './cards.js';
import { $, el } from './dom.js';
import { renderMarkdown, renderPlain } from './markdown.js';
import { state } from './state.js';

const time = (iso) => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

export function formatSize(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** A short label for a file's kind, from its extension ("PDF", "JSON"). */
function fileBadge(name) {
  const ext = /\.([a-z0-9]{1,4})$/i.exec(name)?.[1];
  return ext ? ext.toUpperCase() : 'FILE';
}

function renderMessage(m, previous) {
  const grouped =
    previous &&
    previous.personId === m.personId &&
    Date.parse(m.created) - Date.parse(previous.created) < 5 * 60_000;
  const body = el('div', { class: 'message-body' });
  // A message with a card shows the card; its text is the fallback for clients that cannot render
  // cards, and Webex does not show it beside the card.
  const content = m.card ? '' : m.markdown ? renderMarkdown(m.markdown) : m.text ? renderPlain(m.text) : '';
  if (content) body.append(el('div', { class: 'message-text', html: content }));
  for (const f of m.files) {
    body.append(
      el(
        'a',
        { class: 'file', href: f.url, download: f.name },
        el('span', { class: 'file-icon', 'aria-hidden': 'true', text: fileBadge(f.name) }),
        el('span', { class: 'file-name', text: f.name }),
        el('span', { class: 'file-size', text: formatSize(f.size) }),
      ),
    );
  }
  if (m.card) body.append(renderCard(m.card, m));
  const mine = m.personId === state.me.id;
  return el(
    'li',
    {
      class: `message${grouped ? ' grouped' : ''}${mine ? ' mine' : ''}`,
      dataset: { messageId: m.id, personId: m.personId },
    },
    grouped ? el('span', { class: 'avatar-gap', 'aria-hidden': 'true' }) : avatar(m),
    el(
      'div',
      { class: 'message-main' },
      grouped
        ? null
        : el(
            'div',
            { class: 'message-head' },
            el('span', { class: 'message-author', text: mine ? `${m.personName} (you)` : m.personName }),
            m.personType === 'bot' ? el('span', { class: 'tag tag-bot', text: 'Bot' }) : null,
            el('time', {
              datetime: m.created,
              text: time(m.created),
              title: new Date(m.created).toLocaleString(),
            }),
            m.updated ? el('span', { class: 'muted', text: '(edited)' }) : null,
          ),
      body,
    ),
  );
}

export function renderMessages(scroll) {
  const list = $('messages');
  const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  const items = state.messages.map((m, i) => renderMessage(m, state.messages[i - 1]));
  if (items.length === 0) {
    items.push(el('li', { class: 'no-messages', text: 'No messages yet. Say hello!' }));
  }
  list.replaceChildren(...items);
  if (scroll || nearBottom) list.scrollTop = list.scrollHeight;
}
