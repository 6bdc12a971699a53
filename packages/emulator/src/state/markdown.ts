/**
 * Message bodies: markdown with mentions -> `html`, plain `text`, `mentionedPeople`,
 * `mentionedGroups` (docs/protocol.md §5.4).
 *
 * Mention syntax (§5.4): `<@personId:ID|Name>`, `<@personId:ID>`, `<@personEmail:addr|Name>`,
 * `<@personEmail:addr>`, `<@all>`. ID is a REST PEOPLE id or a bare uuid. A mention of an unknown
 * person is kept as its plain name (or the literal text when it has none) and mentions nobody.
 *
 * The markdown subset is deliberately small and safe: `**bold**`/`__bold__`, `*italic*`/`_italic_`,
 * `` `code` ``, `[text](http(s)|mailto URL)`, paragraphs (blank line) and line breaks. Everything else
 * is HTML-escaped, so no tag written by a sender reaches `html` (an escaped mention, `&lt;@…&gt;`, is
 * literal text and mentions nobody, §5.4).
 */
import { decodeId, encodeId } from '@herald/webex';
import type { Person } from './types.js';

export interface RenderedBody {
  html: string;
  text: string;
  /** PEOPLE uuids, in order of first mention. */
  mentionedPeople: string[];
  mentionedGroups: string[];
}

export interface PersonLookup {
  byId(uuid: string): Person | undefined;
  byEmail(email: string): Person | undefined;
}

const MENTION = /<@(personId|personEmail):([^|>\s]+)(?:\|([^>]*))?>|<@all>/g;
/** Placeholder delimiter; stripped from input first, so senders cannot forge placeholders. */
const MARK = '\u0000';

export function escapeHtml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** The uuid a mention names: a REST PEOPLE id decodes to its uuid, anything else is taken as a uuid. */
function mentionUuid(idOrUuid: string): string {
  const decoded = decodeId(idOrUuid);
  return decoded && decoded.type === 'PEOPLE' ? decoded.uuid : idOrUuid;
}

interface Mention {
  /** Replacement html. */
  html: string;
  /** Replacement text. */
  text: string;
}

export function renderMarkdown(markdown: string, people: PersonLookup): RenderedBody {
  const source = markdown.split(MARK).join('');
  const mentionedPeople: string[] = [];
  const mentionedGroups: string[] = [];
  const slots: string[] = [];
  const slot = (html: string): string => `${MARK}${slots.push(html) - 1}${MARK}`;
  const textParts: string[] = [];

  // 1. mentions -> placeholders (and their plain-text form)
  const mentions: Mention[] = [];
  const withMentions = source.replace(MENTION, (whole, kind?: string, value?: string, name?: string) => {
    let m: Mention;
    if (kind === undefined) {
      if (!mentionedGroups.includes('all')) mentionedGroups.push('all');
      m = {
        html: '<spark-mention data-object-type="groupMention" data-group-type="all">All</spark-mention>',
        text: 'All',
      };
    } else {
      const person =
        kind === 'personId' ? people.byId(mentionUuid(value ?? '')) : people.byEmail(value ?? '');
      if (!person) {
        const plain = name && name.length > 0 ? name : whole;
        m = { html: escapeHtml(plain), text: plain };
      } else {
        if (!mentionedPeople.includes(person.id)) mentionedPeople.push(person.id);
        const shown = name && name.length > 0 ? name : person.displayName;
        m = {
          html: `<spark-mention data-object-type="person" data-object-id="${encodeId('PEOPLE', person.id)}">${escapeHtml(shown)}</spark-mention>`,
          text: shown,
        };
      }
    }
    mentions.push(m);
    return slot(m.html);
  });
  textParts.push(plainText(source, mentions));

  // 2. code spans -> placeholders (content escaped, not formatted)
  let html = withMentions.replace(/`([^`\n]+)`/g, (_w, code: string) =>
    slot(`<code>${escapeHtml(code)}</code>`),
  );
  // 3. escape everything else
  html = escapeHtml(html);
  // 4. links with a safe scheme (the url is already escaped, which is right inside an attribute)
  html = html.replace(
    /\[([^\]\n]+)\]\(((?:https?:\/\/|mailto:)[^)\s]+)\)/g,
    (_w, label: string, url: string) => slot(`<a href="${url}">${label}</a>`),
  );
  // 5. bold, then italic (underscores only at word boundaries, so snake_case stays)
  html = html
    .replace(/\*\*([^*\n]+)\*\*/g, '<strong>$1</strong>')
    .replace(/(^|[^\w])__([^_\n]+)__(?=[^\w]|$)/g, '$1<strong>$2</strong>')
    .replace(/\*([^*\n]+)\*/g, '<em>$1</em>')
    .replace(/(^|[^\w])_([^_\n]+)_(?=[^\w]|$)/g, '$1<em>$2</em>');
  // 6. paragraphs and line breaks
  html = html
    .replace(/\r\n/g, '\n')
    .split(/\n{2,}/)
    .map((p) => p.trim())
    .filter((p) => p.length > 0)
    .map((p) => `<p>${p.replace(/\n/g, '<br/>')}</p>`)
    .join('');
  // 7. placeholders back (slots may nest: a link label can hold a mention placeholder)
  const unslot = (s: string): string =>
    s.replace(new RegExp(`${MARK}(\\d+)${MARK}`, 'g'), (_w, i: string) => unslot(slots[Number(i)] ?? ''));
  html = unslot(html);

  return { html, text: textParts.join(''), mentionedPeople, mentionedGroups };
}

/** The `text` of a markdown message: mentions as plain names, formatting markers dropped. */
function plainText(source: string, mentions: Mention[]): string {
  let i = 0;
  return source
    .replace(MENTION, () => mentions[i++]?.text ?? '')
    .replace(/\[([^\]\n]+)\]\(((?:https?:\/\/|mailto:)[^)\s]+)\)/g, '$1 ($2)')
    .replace(/\*\*([^*\n]+)\*\*/g, '$1')
    .replace(/(^|[^\w])__([^_\n]+)__(?=[^\w]|$)/g, '$1$2')
    .replace(/\*([^*\n]+)\*/g, '$1')
    .replace(/(^|[^\w])_([^_\n]+)_(?=[^\w]|$)/g, '$1$2')
    .replace(/`([^`\n]+)`/g, '$1');
}
