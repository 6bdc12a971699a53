/**
 * What a copy says: the sender header from the locale's template, then the original message with
 * only the bot's own mention removed. Every other word, mention and formatting survives: the
 * message's markdown is used when it has one; otherwise its HTML is turned back into Webex
 * markdown (mentions become `<@personId:…|Name>` again); plain text is the last resort. The
 * original bot deleted everything between the first and the last mention (D3) and sent raw HTML
 * as markdown (D4).
 */
import { decodeId, sameId } from '@herald/webex';
import { fill, type Templates } from './locales.js';

export interface BotIdentity {
  id: string;
  emails: string[];
  displayName: string;
}

export interface SourceMessage {
  text: string;
  markdown?: string | undefined;
  html?: string | undefined;
}

function isBotRef(ref: string, bot: BotIdentity): boolean {
  if (sameId(ref, bot.id)) return true;
  const uuid = decodeId(bot.id)?.uuid;
  return uuid !== undefined && ref === uuid;
}

function tidy(s: string): string {
  return s
    .replace(/[ \t]{2,}/g, ' ')
    .replace(/^[ \t]*[,:;]?[ \t]*/, '')
    .replace(/[ \t]+$/gm, '')
    .trim();
}

/** Remove the bot's own mentions from Webex markdown; keep every other mention and character. */
export function stripBotMentionMarkdown(markdown: string, bot: BotIdentity): string {
  const emails = new Set(bot.emails.map((e) => e.toLowerCase()));
  const out = markdown.replace(
    /<@(personId|personEmail):([^|>\s]+)(?:\|[^>]*)?>/g,
    (whole, kind: string, ref: string) => {
      if (kind === 'personId' && isBotRef(ref, bot)) return '';
      if (kind === 'personEmail' && emails.has(ref.toLowerCase())) return '';
      return whole;
    },
  );
  return tidy(out);
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
    if (name[0] === '#') {
      const code =
        name[1] === 'x' || name[1] === 'X' ? Number.parseInt(name.slice(2), 16) : Number(name.slice(1));
      return Number.isFinite(code) && code > 0 && code < 0x110000 ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[name.toLowerCase()] ?? whole;
  });
}

function attr(tag: string, name: string): string | undefined {
  const m = new RegExp(`${name}\\s*=\\s*("([^"]*)"|'([^']*)')`, 'i').exec(tag);
  return m ? decodeEntities(m[2] ?? m[3] ?? '') : undefined;
}

/** Webex message HTML → Webex markdown, dropping the bot's own mention. */
export function htmlToMarkdown(html: string, bot: BotIdentity): string {
  // Mentions become placeholders first, so that stripping the remaining tags keeps them.
  const kept: string[] = [];
  const keep = (markdown: string) => `\u{F0000}${kept.push(markdown) - 1}\u{F0001}`;
  let s = html.replace(
    /<spark-mention\b([^>]*)>([\s\S]*?)<\/spark-mention>/gi,
    (_w, attrs: string, inner: string) => {
      const type = attr(attrs, 'data-object-type');
      if (type === 'groupMention') return keep(`<@${attr(attrs, 'data-group-type') ?? 'all'}>`);
      const id = attr(attrs, 'data-object-id') ?? '';
      if (isBotRef(id, bot)) return '';
      const name = decodeEntities(inner.replace(/<[^>]*>/g, ''));
      return keep(`<@personId:${id}|${name}>`);
    },
  );
  s = s
    .replace(/<a\b([^>]*)>([\s\S]*?)<\/a>/gi, (_w, attrs: string, inner: string) => {
      const href = attr(attrs, 'href');
      return href ? `[${inner}](${href})` : inner;
    })
    .replace(/<\/?(strong|b)>/gi, '**')
    .replace(/<\/?(em|i)>/gi, '_')
    .replace(/<pre[^>]*>\s*<code[^>]*>([\s\S]*?)<\/code>\s*<\/pre>/gi, '\n```\n$1\n```\n')
    .replace(/<\/?code>/gi, '`')
    .replace(/<br\s*\/?>/gi, '  \n')
    .replace(/<li[^>]*>/gi, '- ')
    .replace(/<\/li>/gi, '\n')
    .replace(/<blockquote[^>]*>/gi, '> ')
    .replace(/<\/(p|div|blockquote|ul|ol|h\d)>/gi, '\n\n')
    .replace(/<[^>]+>/g, '');
  const md = decodeEntities(s)
    .replace(/\n{3,}/g, '\n\n')
    .replace(/\u{F0000}(\d+)\u{F0001}/gu, (_w, i: string) => kept[Number(i)] ?? '');
  return tidy(md);
}

/** The body of a copy: the message as the sender wrote it, minus the bot's own mention. */
export function messageBody(message: SourceMessage, bot: BotIdentity): string {
  if (message.markdown) return stripBotMentionMarkdown(message.markdown, bot);
  if (message.html) return htmlToMarkdown(message.html, bot);
  // Plain text carries a mention as the bot's (first) name; drop it where it leads the message.
  const first = bot.displayName.split(/\s+/)[0] ?? bot.displayName;
  let text = message.text;
  for (const name of [bot.displayName, first]) {
    if (name && text.startsWith(name)) {
      text = text.slice(name.length);
      break;
    }
  }
  return tidy(text);
}

export interface SenderInfo {
  id: string;
  displayName: string;
  email: string;
}

/** Header + body for a group space (the sender @mentioned) or a 1-1 (name and e-mail). */
export function composeCopy(
  t: Templates,
  kind: 'group' | 'direct',
  sender: SenderInfo,
  body: string,
): string {
  return kind === 'group'
    ? fill(t.message_from_group, { senderId: sender.id, body })
    : fill(t.message_from_direct, { displayName: sender.displayName, email: sender.email, body });
}

export interface ReportLine {
  title: string;
  reason: string;
}

/** Failed copies a report names one by one; the rest are counted. */
export const REPORT_FAILED_LINES = 50;

/** `failed` may be the first lines only; `failedTotal` counts them all. */
export function composeReport(
  t: Templates,
  sent: number,
  total: number,
  failed: ReportLine[],
  failedTotal = failed.length,
): string {
  if (total === 0) return t.report_nothing;
  const lines = [`**${t.report_title}**`, fill(t.report_summary, { sent, total })];
  if (failed.length > 0) {
    lines.push('', t.report_failed_heading);
    for (const f of failed.slice(0, REPORT_FAILED_LINES))
      lines.push(fill(t.report_failed_item, { title: f.title, reason: f.reason }));
    if (failedTotal > REPORT_FAILED_LINES) lines.push(`- … (${failedTotal - REPORT_FAILED_LINES})`);
  }
  return lines.join('  \n');
}

/** Webex's app link to a space: the room uuid, decoded with padding tolerance (D20). */
export function spaceLink(roomId: string): string {
  const uuid = decodeId(roomId)?.uuid ?? roomId;
  return `webexteams://im?space=${uuid}`;
}
