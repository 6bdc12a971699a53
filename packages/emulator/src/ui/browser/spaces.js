// Spaces: the list in the sidebar, the open space (header, messages) and its details panel (people
// and settings). Opening, reloading and closing a space re-render these together, so they share a file.

import { avatar } from './avatar.js';
import { $, el } from './dom.js';
import { renderMessages } from './messages.js';
import { act, getJson, q, showFatal } from './server.js';
import { state } from './state.js';

// ---- spaces ---------------------------------------------------------------------------------

export async function loadSpaces() {
  state.spaces = (await getJson(q('/spaces', { person: state.meRef }))).items;
  renderSpaces();
}

let spacesTimer = 0;
export function refreshSpacesSoon() {
  clearTimeout(spacesTimer);
  spacesTimer = setTimeout(() => loadSpaces().catch(showFatal), 80);
}

function renderSpaces() {
  const nav = $('spaces');
  nav.replaceChildren(
    ...state.spaces.map((s) => {
      const unread = state.unread.get(s.id) ?? 0;
      return el(
        'button',
        {
          type: 'button',
          class: `space${s.id === state.spaceId ? ' active' : ''}${unread ? ' unread' : ''}`,
          dataset: { spaceId: s.id, spaceTitle: s.title },
          'aria-current': s.id === state.spaceId ? 'true' : undefined,
          onclick: () => openSpace(s.id),
        },
        s.peer
          ? avatar({ displayName: s.title, id: s.peer.id, type: s.peer.type }, 'sm')
          : el('span', { class: 'space-icon', 'aria-hidden': 'true', text: '#' }),
        el(
          'span',
          { class: 'space-text' },
          el('span', { class: 'space-title', text: s.title }),
          el('span', {
            class: 'space-preview',
            text: s.preview
              ? `${s.preview.personName.split(' ')[0]}: ${s.preview.text}`
              : s.type === 'direct'
                ? '1-1'
                : 'No messages yet',
          }),
        ),
        unread ? el('span', { class: 'badge', text: String(unread), 'aria-label': `${unread} new` }) : null,
      );
    }),
  );
  if (state.spaces.length === 0)
    nav.append(el('p', { class: 'muted pad', text: 'You are in no spaces yet.' }));
}

export async function openSpace(id) {
  state.spaceId = id;
  state.unread.delete(id);
  state.mentions = [];
  setHash();
  renderSpaces();
  try {
    const [space, messages] = await Promise.all([
      getJson(q(`/spaces/${encodeURIComponent(id)}`, { person: state.meRef })),
      getJson(q(`/spaces/${encodeURIComponent(id)}/messages`, { person: state.meRef })),
    ]);
    if (state.spaceId !== id) return;
    state.space = space;
    state.messages = messages.items;
  } catch (err) {
    if (err.status === 404) return closeSpace();
    throw err;
  }
  renderConversation();
  renderMessages(true);
  renderDetails();
  $('text').focus();
}

export async function reloadSpace() {
  if (!state.spaceId) return;
  try {
    state.space = await getJson(q(`/spaces/${encodeURIComponent(state.spaceId)}`, { person: state.meRef }));
  } catch (err) {
    if (err.status === 404) return closeSpace();
    throw err;
  }
  renderConversation();
  renderDetails();
}

function setHash() {
  const params = new URLSearchParams();
  if (state.meRef) params.set('as', state.meRef);
  if (state.spaceId) params.set('space', state.spaceId);
  history.replaceState(null, '', `#${params}`);
}

export function closeSpace() {
  state.spaceId = null;
  state.space = null;
  state.messages = [];
  setHash();
  renderSpaces();
  renderConversation();
  renderDetails();
}

function renderConversation() {
  const s = state.space;
  $('empty').hidden = Boolean(s);
  for (const id of ['room-header', 'messages', 'composer']) $(id).hidden = !s;
  if (!s) return;
  $('room-title').textContent = s.title;
  const sub = $('room-sub');
  const bits = [];
  if (s.type === 'direct') {
    const other = s.members.find((m) => m.id !== state.me.id);
    bits.push(other?.type === 'bot' ? 'Your 1-1 with a bot' : '1-1');
    if (other?.email) bits.push(other.email);
  } else {
    bits.push(`${s.members.length} people`, s.orgName ? `owned by ${s.orgName}` : '');
  }
  sub.replaceChildren(
    ...[
      el('span', { text: bits.filter(Boolean).join(' · ') }),
      s.isLocked ? el('span', { class: 'tag', text: 'Moderated' }) : null,
      s.isAnnouncementOnly ? el('span', { class: 'tag tag-warn', text: 'Announcement only' }) : null,
      s.isModerator ? el('span', { class: 'tag tag-ok', text: 'You moderate' }) : null,
    ].filter(Boolean),
  );
  const toggle = $('people-toggle');
  toggle.textContent = `People (${s.members.length})`;
  toggle.setAttribute('aria-expanded', String(state.detailsOpen));
  const text = /** @type {HTMLTextAreaElement} */ ($('text'));
  const muted = s.isAnnouncementOnly && !s.isModerator;
  text.disabled = muted;
  $('send').toggleAttribute('disabled', muted);
  text.placeholder = muted
    ? 'Only moderators can post in this announcement space.'
    : `Write a message to ${s.title}`;
}

// ---- details: people and settings ------------------------------------------------------------

function renderDetails() {
  const panel = $('details');
  const s = state.space;
  panel.hidden = !s || !state.detailsOpen;
  if (!s || !state.detailsOpen) return;
  const group = s.type === 'group';
  const canManage = group && (!s.isLocked || s.isModerator);
  const members = s.members.map((m) => {
    const self = m.id === state.me.id;
    const actions = [];
    if (group && s.isLocked && s.isModerator) {
      actions.push(
        el('button', {
          type: 'button',
          class: 'link-button',
          text: m.isModerator ? 'Unmake moderator' : 'Make moderator',
          onclick: () =>
            run(() => act('set-moderator', { room: s.id, person: m.id, isModerator: !m.isModerator })),
        }),
      );
    }
    if (group && (self || canManage)) {
      actions.push(
        el('button', {
          type: 'button',
          class: 'link-button danger',
          text: self ? 'Leave' : 'Remove',
          onclick: () => run(() => act('remove-member', { room: s.id, person: m.id })),
        }),
      );
    }
    return el(
      'li',
      { class: 'member', dataset: { personId: m.id } },
      avatar(m, 'sm'),
      el(
        'div',
        { class: 'member-text' },
        el(
          'div',
          { class: 'member-name' },
          el('span', { text: self ? `${m.displayName} (you)` : m.displayName }),
          m.type === 'bot' ? el('span', { class: 'tag tag-bot', text: 'Bot' }) : null,
          m.isModerator ? el('span', { class: 'tag tag-ok', text: 'Moderator' }) : null,
        ),
        el('div', { class: 'member-sub', text: `${m.email} · ${m.orgName}` }),
        actions.length ? el('div', { class: 'member-actions' }, actions) : null,
      ),
    );
  });
  const sections = [
    el(
      'div',
      { class: 'details-head' },
      el('h2', { text: 'People' }),
      el('button', { type: 'button', class: 'ghost', text: 'Close', onclick: () => toggleDetails(false) }),
    ),
    el('ul', { class: 'members' }, members),
  ];
  if (canManage) {
    const inRoom = new Set(s.members.map((m) => m.id));
    const candidates = state.people.filter((p) => !inRoom.has(p.id));
    if (candidates.length > 0) {
      const select = el(
        'select',
        { id: 'add-person', 'aria-label': 'Person to add' },
        candidates.map((p) =>
          el('option', {
            value: p.id,
            text: `${p.displayName}${p.type === 'bot' ? ' (bot)' : ''} · ${p.orgName}`,
          }),
        ),
      );
      sections.push(
        el(
          'form',
          {
            class: 'add-member',
            onsubmit: (e) => {
              e.preventDefault();
              run(() => act('add-member', { room: s.id, person: select.value }));
            },
          },
          select,
          el('button', { type: 'submit', class: 'primary small', text: 'Add' }),
        ),
      );
    }
  } else if (group) {
    sections.push(el('p', { class: 'muted', text: 'Only moderators add or remove people here.' }));
  }
  if (group) {
    const locked = el('input', { type: 'checkbox', id: 'set-locked' });
    locked.checked = s.isLocked;
    const announce = el('input', { type: 'checkbox', id: 'set-announce' });
    announce.checked = s.isAnnouncementOnly;
    const editable = !s.isLocked || s.isModerator;
    locked.disabled = announce.disabled = !editable;
    locked.addEventListener('change', () =>
      run(() => act('update-room', { room: s.id, isLocked: locked.checked })),
    );
    announce.addEventListener('change', () =>
      // Announcement mode needs a moderated space (Webex: isAnnouncementOnly requires isLocked).
      run(() =>
        act('update-room', {
          room: s.id,
          isAnnouncementOnly: announce.checked,
          ...(announce.checked ? { isLocked: true } : {}),
        }),
      ),
    );
    sections.push(
      el('h2', { text: 'Settings' }),
      setting(locked, 'Moderated', 'Only moderators add or remove people.'),
      setting(announce, 'Announcement only', 'Only moderators post.'),
    );
    if (!editable) sections.push(el('p', { class: 'muted', text: 'Only moderators change these.' }));
  }
  sections.push(el('div', { class: 'details-error', id: 'details-error', role: 'alert', hidden: true }));
  panel.replaceChildren(...sections);
}

export function toggleDetails(open = !state.detailsOpen) {
  state.detailsOpen = open;
  renderConversation();
  renderDetails();
}

/** Run an action from the details panel; show its error there. */
async function run(fn) {
  const box = document.getElementById('details-error');
  if (box) box.hidden = true;
  try {
    await fn();
    await reloadSpace();
  } catch (err) {
    const again = document.getElementById('details-error');
    if (again) {
      again.textContent = err.message;
      again.hidden = false;
    }
  }
}

/** A labelled switch of the settings section: the input, its name and what it does. */
function setting(input, title, hint) {
  return el(
    'label',
    { class: 'setting' },
    input,
    el('span', {}, el('strong', { text: title }), el('small', { text: hint })),
  );
}
