/**
 * Message templates per locale. A locale is one JSON file in `locales/` named `<locale>.json`
 * (e.g. `de_DE.json`) with every key of `en_US.json`; placeholders are `{name}`. The en_US and
 * cs_CZ texts of the original bot are kept word for word (github.com/JardaMartan/broadcast_bot).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = join(dirname(fileURLToPath(import.meta.url)), 'locales');

export type TemplateKey =
  | 'message_from_group'
  | 'message_from_direct'
  | 'space_moderated'
  | 'outside_org'
  | 'report_title'
  | 'report_summary'
  | 'report_failed_heading'
  | 'report_failed_item'
  | 'report_nothing'
  | 'report_file_left_out'
  | 'sender_refused'
  | 'command_preview'
  | 'command_recall'
  | 'report_progress'
  | 'label_sent'
  | 'label_failed'
  | 'label_pending'
  | 'label_removed'
  | 'report_recall_button'
  | 'report_recalled'
  | 'report_recall_failed_heading'
  | 'report_edited'
  | 'report_not_edited_heading'
  | 'reason_not_editable'
  | 'reason_edit_limit'
  | 'preview_title'
  | 'preview_summary'
  | 'preview_cannot_post'
  | 'preview_more'
  | 'preview_send_button'
  | 'preview_usage'
  | 'compose_hint'
  | 'compose_placeholder'
  | 'compose_preview_button'
  | 'approval_request'
  | 'approval_approve_button'
  | 'approval_reject_button'
  | 'approval_waiting'
  | 'approval_approved'
  | 'approval_rejected'
  | 'approval_decided'
  | 'approval_decision_approved'
  | 'approval_decision_rejected'
  | 'approval_unreachable'
  | 'recall_refused'
  | 'recall_nothing'
  | 'recall_started';

export type Templates = Record<TemplateKey, string>;

let cache: Map<string, Templates> | undefined;

function load(): Map<string, Templates> {
  if (cache) return cache;
  const base = JSON.parse(readFileSync(join(dir, 'en_US.json'), 'utf8')) as Templates;
  const all = new Map<string, Templates>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    const name = file.slice(0, -'.json'.length);
    const texts = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Partial<Templates>;
    const missing = Object.keys(base).filter((k) => typeof texts[k as TemplateKey] !== 'string');
    if (missing.length > 0) throw new Error(`locale ${name} lacks ${missing.join(', ')}`);
    all.set(name, texts as Templates);
  }
  cache = all;
  return all;
}

/** Names of the installed locales, e.g. `['cs_CZ', 'en_US']`. */
export function availableLocales(): string[] {
  return [...load().keys()].sort();
}

export function templates(locale: string): Templates {
  const t = load().get(locale);
  if (!t) throw new Error(`unknown locale ${locale}; installed: ${availableLocales().join(', ')}`);
  return t;
}

/** Fill `{name}` placeholders; unknown names are left as they are. */
export function fill(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) =>
    key in values ? String(values[key]) : whole,
  );
}
