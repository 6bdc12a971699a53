/**
 * A JSON file as an adaptive card. The original bot only tried this for an exact
 * `application/json` content type (D6); here a parameterised type or a `.json` name counts too.
 */
import type { CardAttachment } from '@herald/webex';

const CARD_TYPE = 'application/vnd.microsoft.card.adaptive';

export function looksLikeJson(name: string, contentType: string): boolean {
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  return type === 'application/json' || type.endsWith('+json') || name.toLowerCase().endsWith('.json');
}

/**
 * The card in a JSON file, or undefined when the bytes are not an adaptive card Webex could render
 * (schema up to 1.3, webex-rest-webhooks.md §2.5). Accepts a bare card or an attachment wrapper.
 */
export function cardFromJson(bytes: Buffer): CardAttachment | undefined {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const v = value as Record<string, unknown>;
    const card = v.contentType === CARD_TYPE && v.content && typeof v.content === 'object' ? v.content : v;
    const c = card as Record<string, unknown>;
    if (c.type !== 'AdaptiveCard' || typeof c.version !== 'string') return undefined;
    const [major, minor] = c.version.split('.').map(Number);
    if (major !== 1 || minor === undefined || !(minor >= 0 && minor <= 3)) return undefined;
    if (c.body !== undefined && !Array.isArray(c.body)) return undefined;
    return { contentType: CARD_TYPE, content: c };
  }
  return undefined;
}
