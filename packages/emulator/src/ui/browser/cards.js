// Adaptive cards in messages: rendered readably, inputs collected, Action.Submit sent as the chosen
// person; submissions seen on the page are shown under the card.

import { el } from './dom.js';
import { renderMarkdown } from './markdown.js';
import { act } from './server.js';
import { state } from './state.js';

/** Render an adaptive card readably; inputs are collected into `ctx.inputs` for Action.Submit. */
export function renderCard(card, message) {
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
    wrap.append(
      el('label', { id: `${domId}-label`, for: domId, text: labelText + (item.isRequired ? ' *' : '') }),
    );
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
          // A <label for> does not name a group; aria-labelledby does.
          {
            id: domId,
            class: 'card-choices',
            role: type === 'radio' ? 'radiogroup' : 'group',
            'aria-labelledby': labelText ? `${domId}-label` : undefined,
          },
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

export function addSubmission(messageId, name) {
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
