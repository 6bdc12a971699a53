/**
 * What a message to the bot asks for. The body (the message minus the bot's own mention) is a
 * broadcast unless it starts with a command word: `preview <message>` (a dry run) or `recall` on
 * its own (delete the copies of the sender's last broadcast, or of the broadcast the message
 * replies to in a thread). The English words always work; a locale may add its own
 * (`command_preview`, `command_recall`). Matching ignores case and a trailing colon or full stop.
 */
import type { Templates } from './locales.js';

export type Command = { kind: 'broadcast' } | { kind: 'preview'; body: string } | { kind: 'recall' };

function words(english: string, localized: string): string {
  return [...new Set([english, localized.trim()])]
    .filter((w) => w !== '')
    .map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('|');
}

export function parseCommand(
  body: string,
  t: Pick<Templates, 'command_preview' | 'command_recall'>,
): Command {
  const text = body.trim();
  const recall = new RegExp(`^(?:${words('recall', t.command_recall)})[.!]?$`, 'iu');
  if (recall.test(text)) return { kind: 'recall' };
  const preview = new RegExp(`^(?:${words('preview', t.command_preview)})(?=$|[\\s:])[:]?\\s*`, 'iu');
  const m = preview.exec(text);
  if (m) return { kind: 'preview', body: text.slice(m[0].length).trim() };
  return { kind: 'broadcast' };
}
