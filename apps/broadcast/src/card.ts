/**
 * A JSON file as an adaptive card. The original bot only tried this for an exact
 * `application/json` content type (D6); here a parameterised type or a `.json` name counts too.
 * Validation is the library's (`parseCard`: schema up to 1.3, at most five actions).
 */
import { type CardAttachment, cardAttachment, parseCard } from '@herald/webex';

export function looksLikeJson(name: string, contentType: string): boolean {
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  return type === 'application/json' || type.endsWith('+json') || name.toLowerCase().endsWith('.json');
}

/** The card in a JSON file, or undefined when it is not a card Webex could render. */
export function cardFromJson(bytes: Buffer): CardAttachment | undefined {
  try {
    return cardAttachment(parseCard(bytes.toString('utf8'), 'file'));
  } catch {
    return undefined;
  }
}
