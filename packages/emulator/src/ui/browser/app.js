// The emulator's chat page. Plain DOM, no framework: reads come from /_emulator/ui/ (shaped for the
// chosen person, no tokens), writes go to /_emulator/act/{person}/{action}, live changes arrive as
// Server-Sent Events. Untrusted text reaches the DOM only escaped or through textContent.
//
// This is the entry module (loaded with <script type="module">): live updates, choosing who to chat as,
// and the wiring of the static elements. The other modules of this folder are served beside it.

import { avatar } from './avatar.js';
import { addSubmission } from './cards.js';
import { autosize, closeMentionMenu, onComposerKey, send, setFile, updateMentionMenu } from './composer.js';
import { $, el } from './dom.js';
import { renderMessages } from './messages.js';
import { getJson, q, showFatal, UI } from './server.js';
import {
  closeSpace,
  loadSpaces,
  openSpace,
  refreshSpacesSoon,
  reloadSpace,
  toggleDetails,
} from './spaces.js';
import { state } from './state.js';

const refOf = (p) => p.key ?? p.id;

// ---- live updates ---------------------------------------------------------------------------

function connect() {
  state.events?.close();
  const es = new EventSource(q('/events', { person: state.meRef }));
  state.events = es;
  let dropped = false;
  es.addEventListener('open', () => {
    $('live').classList.remove('off');
    $('live').textContent = 'live';
    if (dropped) {
      // Changes may have happened while the stream was down: read everything again.
      dropped = false;
      loadSpaces().catch(showFatal);
      if (state.spaceId) openSpace(state.spaceId).catch(showFatal);
    }
  });
  es.addEventListener('error', () => {
    dropped = true;
    $('live').classList.add('off');
    $('live').textContent = 'reconnecting…';
  });
  es.addEventListener('reset', () => {
    es.close();
    start().catch(showFatal);
  });
  es.addEventListener('change', (e) => onChange(JSON.parse(/** @type {MessageEvent} */ (e).data)));
}

function onChange(c) {
  const here = c.roomId === state.spaceId;
  switch (c.kind) {
    case 'message.created':
      if (here) {
        if (!state.messages.some((m) => m.id === c.message.id)) state.messages.push(c.message);
        renderMessages(c.message.personId === state.me.id);
      } else if (c.message.personId !== state.me.id) {
        state.unread.set(c.roomId, (state.unread.get(c.roomId) ?? 0) + 1);
      }
      refreshSpacesSoon();
      break;
    case 'message.updated':
      if (here) {
        state.messages = state.messages.map((m) => (m.id === c.message.id ? c.message : m));
        renderMessages(false);
      }
      refreshSpacesSoon();
      break;
    case 'message.deleted':
      if (here) {
        state.messages = state.messages.filter((m) => m.id !== c.id);
        renderMessages(false);
      }
      refreshSpacesSoon();
      break;
    case 'membership.created':
    case 'membership.updated':
    case 'membership.deleted':
    case 'room.created':
    case 'room.updated':
      refreshSpacesSoon();
      if (here) {
        if (c.kind === 'membership.deleted' && c.personId === state.me.id) closeSpace();
        else reloadSpace().catch(showFatal);
      }
      break;
    case 'attachmentAction.created':
      if (c.personId !== state.me.id) addSubmission(c.messageId, c.personName);
      break;
  }
}

// ---- who am I -------------------------------------------------------------------------------

function renderChooser() {
  const byOrg = new Map();
  for (const p of state.people.filter((x) => x.type === 'person')) {
    if (!byOrg.has(p.orgName)) byOrg.set(p.orgName, []);
    byOrg.get(p.orgName).push(p);
  }
  $('people').replaceChildren(
    ...[...byOrg].map(([org, people]) =>
      el(
        'div',
        { class: 'org' },
        el('h2', { text: org || 'No organization' }),
        el(
          'div',
          { class: 'people' },
          people.map((p) =>
            el(
              'button',
              {
                type: 'button',
                class: 'person',
                dataset: { person: refOf(p) },
                onclick: () => choose(refOf(p)),
              },
              avatar(p),
              el(
                'span',
                { class: 'person-text' },
                el('span', { class: 'person-name', text: p.displayName }),
                el('span', { class: 'person-email', text: p.email }),
              ),
            ),
          ),
        ),
      ),
    ),
  );
}

function renderMe() {
  const me = state.me;
  $('me').replaceChildren(
    avatar(me),
    el(
      'div',
      { class: 'me-text' },
      el('div', { class: 'me-name', text: me.displayName }),
      el('div', { class: 'me-sub', text: `${me.orgName} · ${me.email}` }),
    ),
    el('button', {
      type: 'button',
      class: 'ghost small',
      text: 'Switch',
      title: 'Chat as someone else',
      onclick: showChooser,
    }),
  );
}

function showChooser() {
  renderChooser();
  $('chooser').hidden = false;
}

async function choose(ref, spaceId) {
  const me = state.people.find((p) => refOf(p) === ref || p.id === ref || p.email === ref);
  if (me?.type !== 'person') return showChooser();
  state.me = me;
  state.meRef = refOf(me);
  state.unread.clear();
  state.submissions.clear();
  state.space = null;
  state.spaceId = null;
  state.detailsOpen = false;
  $('chooser').hidden = true;
  $('app').hidden = false;
  document.title = `${me.displayName} · Herald local Webex`;
  renderMe();
  connect();
  await loadSpaces();
  if (spaceId && state.spaces.some((s) => s.id === spaceId)) await openSpace(spaceId);
  else closeSpace();
}

async function start() {
  state.people = (await getJson(`${UI}/people`)).items;
  const params = new URLSearchParams(location.hash.slice(1));
  const as = params.get('as');
  if (as) await choose(as, params.get('space') ?? undefined);
  else showChooser();
}

// ---- wiring ---------------------------------------------------------------------------------

$('composer').addEventListener('submit', send);
$('text').addEventListener('keydown', onComposerKey);
$('text').addEventListener('input', () => {
  autosize();
  updateMentionMenu();
});
$('text').addEventListener('blur', () =>
  setTimeout(() => {
    if (document.activeElement !== $('text')) closeMentionMenu();
  }, 100),
);
$('file-input').addEventListener('change', (e) => {
  const input = /** @type {HTMLInputElement} */ (e.target);
  setFile(input.files?.[0] ?? null);
  input.value = '';
});
$('chip-remove').addEventListener('click', () => setFile(null));
$('people-toggle').addEventListener('click', () => toggleDetails());

start().catch(showFatal);
