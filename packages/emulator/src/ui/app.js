// The emulator's chat page. Plain DOM, no framework: reads come from /_emulator/ui/ (shaped for the
// chosen person, no tokens), writes go to /_emulator/act/{person}/{action}, live changes arrive as
// Server-Sent Events. Untrusted text reaches the DOM only escaped or through textContent.

const UI = '/_emulator/ui';

const state = {
  /** @type {Array<any>} */ people: [],
  /** @type {any} */ me: null,
  /** How the page names the person to the server: seed key, else REST id. */
  meRef: '',
  /** @type {Array<any>} */ spaces: [],
  /** @type {string | null} */ spaceId: null,
  /** @type {any} */ space: null,
  /** @type {Array<any>} */ messages: [],
  /** @type {Map<string, number>} */ unread: new Map(),
  /** @type {EventSource | null} */ events: null,
  detailsOpen: false,
  /** @type {File | null} */ file: null,
  /** Mentions picked in the composer: @Name in the text becomes <@personId:ID|Name> on send. */
  /** @type {Array<{ id: string, name: string }>} */ mentions: [],
  /** Card submissions seen, per message id: who submitted. */
  /** @type {Map<string, string[]>} */ submissions: new Map(),
};

const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else if (k === 'html')
      node.innerHTML = v; // only ever given renderMarkdown() output
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) node.append(c);
  return node;
}

// ---- server ---------------------------------------------------------------------------------

class RequestError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function getJson(path) {
  const res = await fetch(path, { headers: { Accept: 'application/json' } });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new RequestError(res.status, body.message ?? `${res.status} ${res.statusText}`);
  return body;
}

/** Act as the current person through the control API. */
async function act(action, body) {
  const res = await fetch(`/_emulator/act/${encodeURIComponent(state.meRef)}/${action}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) throw new RequestError(res.status, json.message ?? `${res.status} ${res.statusText}`);
  return json;
}

const q = (path, params) => `${UI}${path}?${new URLSearchParams(params)}`;

// ---- people ---------------------------------------------------------------------------------

const personById = (id) => state.people.find((p) => p.id === id);
const refOf = (p) => p.key ?? p.id;

function initials(name) {
  const parts = String(name).trim().split(/\s+/);
  return ((parts[0]?.[0] ?? '?') + (parts.length > 1 ? (parts.at(-1)?.[0] ?? '') : '')).toUpperCase();
}

function hue(s) {
  let h = 0;
  for (const c of String(s)) h = (h * 31 + c.codePointAt(0)) % 360;
  return h;
}

function avatar(person, size = 'md') {
  const name = person?.displayName ?? person?.personName ?? '?';
  const id = person?.personId ?? person?.id ?? name;
  const a = el('span', { class: `avatar avatar-${size}`, 'aria-hidden': 'true', text: initials(name) });
  a.style.setProperty('--h', String(hue(id)));
  if ((person?.type ?? person?.personType) === 'bot') a.classList.add('avatar-bot');
  return a;
}

// ---- markdown (the Webex subset), safely ----------------------------------------------------

const ESC = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => ESC[c]);
const MENTION = /<@(personId|personEmail):([^|>\s]+)(?:\|([^>]*))?>|<@all>/g;

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
function renderMarkdown(source) {
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

function renderPlain(text) {
  return String(text)
    .trim()
    .split(/\n\s*\n/)
    .map((b) => `<p>${escapeHtml(b).replace(/\n/g, '<br>')}</p>`)
    .join('');
}

// ---- adaptive cards -------------------------------------------------------------------------

/** Render an adaptive card readably; inputs are collected into `ctx.inputs` for Action.Submit. */
function renderCard(card, message) {
  const ctx = { inputs: [], message, status: el('div', { class: 'card-status', role: 'status' }) };
  const root = el('div', { class: 'card' }, renderCardBody(card, ctx));
  root.append(ctx.status);
  showSubmissions(ctx.status, message.id);
  return root;
}

function renderCardBody(card, ctx) {
  const body = el('div', { class: 'card-body' });
  for (const item of asArray(card?.body)) body.append(renderElement(item, ctx));
  const actions = asArray(card?.actions);
  if (actions.length > 0) body.append(renderActions(actions, ctx));
  return body;
}

const lower = (v) => (typeof v === 'string' ? v.toLowerCase() : '');
const asArray = (v) => (Array.isArray(v) ? v : []);
const str = (v) => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v));

function renderElement(item, ctx) {
  if (!item || typeof item !== 'object') return el('span');
  const node = renderElementInner(item, ctx);
  if (item.isVisible === false) node.hidden = true;
  if (item.separator) node.classList.add('card-separator');
  return node;
}

function renderElementInner(item, ctx) {
  switch (item.type) {
    case 'TextBlock': {
      const classes = ['card-text'];
      if (lower(item.weight) === 'bolder') classes.push('bolder');
      if (item.isSubtle) classes.push('subtle');
      if (item.size) classes.push(`size-${String(item.size).toLowerCase()}`);
      if (item.color) classes.push(`color-${String(item.color).toLowerCase()}`);
      if (item.horizontalAlignment) classes.push(`align-${String(item.horizontalAlignment).toLowerCase()}`);
      return el('div', { class: classes.join(' '), html: renderMarkdown(str(item.text)) });
    }
    case 'RichTextBlock':
      return el(
        'div',
        { class: 'card-text' },
        asArray(item.inlines).map((r) => {
          const run = typeof r === 'string' ? { text: r } : r;
          const span = el('span', { text: str(run?.text) });
          if (lower(run?.weight) === 'bolder') span.classList.add('bolder');
          if (run?.italic) span.style.fontStyle = 'italic';
          return span;
        }),
      );
    case 'Container':
      return el(
        'div',
        { class: 'card-container' },
        asArray(item.items).map((i) => renderElement(i, ctx)),
      );
    case 'ColumnSet':
      return el(
        'div',
        { class: 'card-columns' },
        asArray(item.columns).map((col) =>
          el(
            'div',
            { class: 'card-column' },
            asArray(col?.items).map((i) => renderElement(i, ctx)),
          ),
        ),
      );
    case 'FactSet':
      return el(
        'dl',
        { class: 'card-facts' },
        asArray(item.facts).map((f) => [
          el('dt', { text: str(f?.title) }),
          el('dd', { text: str(f?.value) }),
        ]),
      );
    case 'Image':
      return renderImage(item);
    case 'ImageSet':
      return el('div', { class: 'card-images' }, asArray(item.images).map(renderImage));
    case 'ActionSet':
      return renderActions(asArray(item.actions), ctx);
    default:
      if (typeof item.type === 'string' && item.type.startsWith('Input.')) return renderInput(item, ctx);
      return el('div', {
        class: 'card-unsupported',
        text: `(${str(item.type) || 'unknown element'} not shown)`,
      });
  }
}

/** Only inline data: images are shown; the page loads nothing from other hosts. */
function renderImage(item) {
  const url = str(item?.url);
  if (/^data:image\/(png|jpeg|gif|webp);/i.test(url))
    return el('img', { class: 'card-image', src: url, alt: str(item.altText) });
  return el('div', {
    class: 'card-image-placeholder',
    text: `Image${item?.altText ? `: ${item.altText}` : ''}`,
  });
}

let inputSeq = 0;

function renderInput(item, ctx) {
  const id = str(item.id);
  const domId = `card-input-${++inputSeq}`;
  const wrap = el('div', { class: 'card-input' });
  const labelText = str(item.label);
  if (labelText && item.type !== 'Input.Toggle') {
    wrap.append(el('label', { for: domId, text: labelText + (item.isRequired ? ' *' : '') }));
  }
  let get = () => '';
  let field;
  switch (item.type) {
    case 'Input.Text': {
      const tag = item.isMultiline ? 'textarea' : 'input';
      const styles = { email: 'email', tel: 'tel', url: 'url', password: 'password' };
      field = el(tag, {
        id: domId,
        type: tag === 'input' ? (styles[str(item.style).toLowerCase()] ?? 'text') : undefined,
        placeholder: str(item.placeholder) || undefined,
        maxlength: typeof item.maxLength === 'number' ? item.maxLength : undefined,
        rows: item.isMultiline ? 3 : undefined,
      });
      field.value = str(item.value);
      get = () => field.value;
      break;
    }
    case 'Input.Number':
    case 'Input.Date':
    case 'Input.Time': {
      const type = { 'Input.Number': 'number', 'Input.Date': 'date', 'Input.Time': 'time' }[item.type];
      field = el('input', {
        id: domId,
        type,
        placeholder: str(item.placeholder) || undefined,
        min: item.min ?? undefined,
        max: item.max ?? undefined,
      });
      field.value = str(item.value);
      get = () => field.value;
      break;
    }
    case 'Input.Toggle': {
      const on = item.valueOn === undefined ? 'true' : str(item.valueOn);
      const off = item.valueOff === undefined ? 'false' : str(item.valueOff);
      const box = el('input', { id: domId, type: 'checkbox' });
      box.checked = str(item.value) === on;
      get = () => (box.checked ? on : off);
      wrap.append(
        el('label', { class: 'card-toggle' }, box, el('span', { text: str(item.title) || labelText })),
      );
      break;
    }
    case 'Input.ChoiceSet': {
      const choices = asArray(item.choices).map((c) => ({ title: str(c?.title), value: str(c?.value) }));
      const initial = str(item.value).split(',').filter(Boolean);
      if (item.isMultiSelect || item.style === 'expanded') {
        const type = item.isMultiSelect ? 'checkbox' : 'radio';
        const boxes = choices.map((c) => {
          const box = el('input', { type, name: domId, value: c.value });
          box.checked = initial.includes(c.value);
          return { box, label: el('label', { class: 'card-choice' }, box, el('span', { text: c.title })) };
        });
        field = el(
          'div',
          { id: domId, class: 'card-choices', role: type === 'radio' ? 'radiogroup' : 'group' },
          boxes.map((b) => b.label),
        );
        get = () =>
          boxes
            .filter((b) => b.box.checked)
            .map((b) => b.box.value)
            .join(',');
      } else {
        const select = el('select', { id: domId });
        select.append(el('option', { value: '', text: str(item.placeholder) || 'Choose…' }));
        for (const c of choices) select.append(el('option', { value: c.value, text: c.title }));
        select.value = initial[0] ?? '';
        field = select;
        get = () => select.value;
      }
      break;
    }
    default:
      field = el('div', { class: 'card-unsupported', text: `(${item.type} not shown)` });
  }
  if (field) wrap.append(field);
  if (id) ctx.inputs.push({ id, get, required: Boolean(item.isRequired), label: labelText || id });
  return wrap;
}

function renderActions(actions, ctx) {
  const bar = el('div', { class: 'card-actions' });
  const shown = el('div', { class: 'card-showcard' });
  for (const action of actions) {
    const title = str(action?.title) || 'Submit';
    if (action?.type === 'Action.Submit') {
      bar.append(
        el('button', {
          type: 'button',
          class: 'card-button',
          text: title,
          onclick: (e) => submitCard(ctx, action, e.currentTarget),
        }),
      );
    } else if (action?.type === 'Action.OpenUrl' && /^https?:\/\//i.test(str(action.url))) {
      bar.append(
        el('a', {
          class: 'card-button link',
          href: str(action.url),
          target: '_blank',
          rel: 'noopener noreferrer',
          text: title,
        }),
      );
    } else if (action?.type === 'Action.ShowCard' && action.card) {
      const inner = renderCardBody(action.card, ctx);
      inner.hidden = true;
      inner.classList.add('card-inner');
      shown.append(inner);
      bar.append(
        el('button', {
          type: 'button',
          class: 'card-button secondary',
          text: title,
          onclick: () => {
            inner.hidden = !inner.hidden;
          },
        }),
      );
    } else {
      bar.append(
        el('button', {
          type: 'button',
          class: 'card-button',
          text: title,
          disabled: true,
          title: `${str(action?.type)} is not supported here`,
        }),
      );
    }
  }
  return el('div', {}, bar, shown);
}

async function submitCard(ctx, action, button) {
  const inputs = {};
  for (const i of ctx.inputs) {
    const v = i.get();
    if (i.required && v === '') {
      ctx.status.textContent = `Fill in “${i.label}” first.`;
      ctx.status.className = 'card-status error';
      return;
    }
    inputs[i.id] = v;
  }
  // Webex merges the action's `data` into the submitted inputs.
  if (action.data && typeof action.data === 'object' && !Array.isArray(action.data))
    Object.assign(inputs, action.data);
  button.disabled = true;
  try {
    await act('submit-card', { message: ctx.message.id, inputs });
    addSubmission(ctx.message.id, state.me.displayName);
  } catch (err) {
    ctx.status.textContent = `Not submitted: ${err.message}`;
    ctx.status.className = 'card-status error';
  } finally {
    button.disabled = false;
  }
}

function addSubmission(messageId, name) {
  const list = state.submissions.get(messageId) ?? [];
  list.push(name);
  state.submissions.set(messageId, list);
  const status = document.querySelector(`[data-message-id="${CSS.escape(messageId)}"] .card-status`);
  if (status) showSubmissions(status, messageId);
}

function showSubmissions(status, messageId) {
  const names = state.submissions.get(messageId);
  if (!names?.length) return;
  const mine = names.filter((n) => n === state.me?.displayName).length;
  const others = [...new Set(names.filter((n) => n !== state.me?.displayName))];
  const parts = [];
  if (mine) parts.push(mine > 1 ? `You submitted this card (${mine}×)` : 'You submitted this card');
  if (others.length) parts.push(`Submitted by ${others.join(', ')}`);
  status.textContent = `✓ ${parts.join(' · ')}`;
  status.className = 'card-status ok';
}

// ---- spaces ---------------------------------------------------------------------------------

async function loadSpaces() {
  state.spaces = (await getJson(q('/spaces', { person: state.meRef }))).items;
  renderSpaces();
}

let spacesTimer = 0;
function refreshSpacesSoon() {
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

async function openSpace(id) {
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

async function reloadSpace() {
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

function closeSpace() {
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

// ---- messages -------------------------------------------------------------------------------

const time = (iso) => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

function formatSize(n) {
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
  const content = m.markdown ? renderMarkdown(m.markdown) : m.text ? renderPlain(m.text) : '';
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

function renderMessages(scroll) {
  const list = $('messages');
  const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  const items = state.messages.map((m, i) => renderMessage(m, state.messages[i - 1]));
  if (items.length === 0) {
    items.push(el('li', { class: 'no-messages', text: 'No messages yet. Say hello!' }));
  }
  list.replaceChildren(...items);
  if (scroll || nearBottom) list.scrollTop = list.scrollHeight;
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
      el(
        'label',
        { class: 'setting' },
        locked,
        el(
          'span',
          {},
          el('strong', { text: 'Moderated' }),
          el('small', { text: 'Only moderators add or remove people.' }),
        ),
      ),
      el(
        'label',
        { class: 'setting' },
        announce,
        el(
          'span',
          {},
          el('strong', { text: 'Announcement only' }),
          el('small', { text: 'Only moderators post.' }),
        ),
      ),
    );
    if (!editable) sections.push(el('p', { class: 'muted', text: 'Only moderators change these.' }));
  }
  sections.push(el('div', { class: 'details-error', id: 'details-error', role: 'alert', hidden: true }));
  panel.replaceChildren(...sections);
}

function toggleDetails(open = !state.detailsOpen) {
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

// ---- composer -------------------------------------------------------------------------------

function composerError(message) {
  const box = $('composer-error');
  box.textContent = message ?? '';
  box.hidden = !message;
}

function setFile(file) {
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

async function send(e) {
  e?.preventDefault();
  if (!state.space) return;
  const textarea = /** @type {HTMLTextAreaElement} */ ($('text'));
  const text = textarea.value.trim();
  const file = state.file;
  if (!text && !file) return;
  composerError('');
  const body = { room: state.space.id };
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

function autosize() {
  const t = $('text');
  t.style.height = 'auto';
  t.style.height = `${Math.min(t.scrollHeight, 160)}px`;
}

// @mentions: typing @ offers the space's members.
const mention = { open: false, start: 0, items: /** @type {any[]} */ ([]), index: 0 };

function updateMentionMenu() {
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

function closeMentionMenu() {
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

function onComposerKey(e) {
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

function setHash() {
  const params = new URLSearchParams();
  if (state.meRef) params.set('as', state.meRef);
  if (state.spaceId) params.set('space', state.spaceId);
  history.replaceState(null, '', `#${params}`);
}

function showFatal(err) {
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
