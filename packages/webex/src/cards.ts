/**
 * Adaptive cards for Webex messages (docs/protocol.md §7.4 "Cards"): an attachment is
 * `{ contentType: 'application/vnd.microsoft.card.adaptive', content: <AdaptiveCard> }`; Webex
 * renders schema versions up to 1.3 and at most five actions (buttons) per card. Validation is
 * structural and names the offending path; it does not try to be a full schema validator.
 */
import { readFile } from 'node:fs/promises';
import { InvalidArgumentError } from './errors.js';
import type { CardAttachment } from './events.js';

export const ADAPTIVE_CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive' as const;
/** Highest Adaptive Card schema version Webex renders (§7.4, D-CARDS "What's new"). */
export const MAX_CARD_VERSION = '1.3';
/** Buttons per card Webex shows (§7.4, D-CARDS). */
export const MAX_CARD_ACTIONS = 5;

export interface AdaptiveCard {
  type: 'AdaptiveCard';
  /** Schema version, `"1.0"` … `"1.3"`. */
  version: string;
  body: Array<Record<string, unknown>>;
  actions?: Array<Record<string, unknown>> | undefined;
  $schema?: string | undefined;
  [key: string]: unknown;
}

/** Action types up to schema 1.3 (`Action.Execute` is 1.4 and not rendered by Webex). */
const ACTION_TYPES = new Set([
  'Action.Submit',
  'Action.OpenUrl',
  'Action.ShowCard',
  'Action.ToggleVisibility',
]);

/** The card, typed, or an `InvalidArgumentError` naming what is wrong (e.g. `card.actions[2].type`). */
export function validateCard(card: unknown, path = 'card'): AdaptiveCard {
  if (!isRecord(card)) fail(path, 'must be an object');
  if (card.type !== 'AdaptiveCard') fail(`${path}.type`, `must be "AdaptiveCard", got ${show(card.type)}`);
  checkVersion(card.version, `${path}.version`);
  if (!Array.isArray(card.body)) fail(`${path}.body`, 'must be an array');
  if (card.actions !== undefined && !Array.isArray(card.actions)) fail(`${path}.actions`, 'must be an array');
  const state: WalkState = { actions: 0, inputIds: new Map() };
  for (const [i, el] of card.body.entries()) walkElement(el, `${path}.body[${i}]`, state);
  for (const [i, a] of ((card.actions ?? []) as unknown[]).entries())
    walkAction(a, `${path}.actions[${i}]`, state);
  if (state.actions > MAX_CARD_ACTIONS) {
    fail(`${path}`, `has ${state.actions} actions; Webex shows at most ${MAX_CARD_ACTIONS} per card`);
  }
  return card as AdaptiveCard;
}

/** A message attachment for a (validated) card: put it in `attachments` of `messages.create`. */
export function cardAttachment(card: unknown): CardAttachment & { content: AdaptiveCard } {
  return { contentType: ADAPTIVE_CARD_CONTENT_TYPE, content: validateCard(card) };
}

/**
 * Parse card JSON. Accepts a bare card or an attachment wrapper (`{ contentType, content }`, as the
 * Webex card designer exports). `source` names the file in errors.
 */
export function parseCard(json: string, source = 'card'): AdaptiveCard {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (err) {
    throw new InvalidArgumentError(`${source}: not valid JSON (${(err as Error).message})`);
  }
  if (isRecord(parsed) && parsed.contentType !== undefined) {
    if (parsed.contentType !== ADAPTIVE_CARD_CONTENT_TYPE) {
      fail(
        `${source}.contentType`,
        `must be "${ADAPTIVE_CARD_CONTENT_TYPE}", got ${show(parsed.contentType)}`,
      );
    }
    return validateCard(parsed.content, `${source}.content`);
  }
  return validateCard(parsed, source);
}

/** Read and validate a card file (JSON). Errors name the file by its base name only. */
export async function loadCardFile(file: string | URL): Promise<AdaptiveCard> {
  const name = String(file).split(/[\\/]/).pop() ?? 'card';
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new InvalidArgumentError(
      `${name}: cannot read the card file (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  return parseCard(text, name);
}

interface WalkState {
  actions: number;
  inputIds: Map<string, string>;
}

function walkElement(el: unknown, path: string, state: WalkState): void {
  if (!isRecord(el)) fail(path, 'must be an object');
  if (typeof el.type !== 'string' || el.type.length === 0) fail(`${path}.type`, 'must be a non-empty string');
  if (el.type.startsWith('Input.')) {
    if (typeof el.id !== 'string' || el.id.length === 0) {
      fail(`${path}.id`, `${el.type} needs an id: it names the value in the submitted inputs`);
    }
    const first = state.inputIds.get(el.id);
    if (first) fail(`${path}.id`, `"${el.id}" is already used by ${first}`);
    state.inputIds.set(el.id, path);
  }
  if (el.type === 'ActionSet') {
    if (!Array.isArray(el.actions)) fail(`${path}.actions`, 'must be an array');
    for (const [i, a] of el.actions.entries()) walkAction(a, `${path}.actions[${i}]`, state);
  }
  for (const key of ['items', 'columns'] as const) {
    const children = el[key];
    if (children === undefined) continue;
    if (!Array.isArray(children)) fail(`${path}.${key}`, 'must be an array');
    for (const [i, c] of children.entries()) walkElement(c, `${path}.${key}[${i}]`, state);
  }
  if (el.selectAction !== undefined)
    walkAction(el.selectAction, `${path}.selectAction`, { ...state, actions: 0 });
}

function walkAction(action: unknown, path: string, state: WalkState): void {
  if (!isRecord(action)) fail(path, 'must be an object');
  if (typeof action.type !== 'string' || !ACTION_TYPES.has(action.type)) {
    fail(
      `${path}.type`,
      `must be one of ${[...ACTION_TYPES].join(', ')} (schema ≤ ${MAX_CARD_VERSION}), got ${show(action.type)}`,
    );
  }
  state.actions++;
  if (action.type === 'Action.OpenUrl' && typeof action.url !== 'string')
    fail(`${path}.url`, 'must be a string');
  if (action.type === 'Action.ShowCard') {
    // The shown card is a card of its own: own version rules, own action count.
    const shown = action.card;
    if (!isRecord(shown)) fail(`${path}.card`, 'must be an object');
    validateCard({ version: MAX_CARD_VERSION, ...shown }, `${path}.card`);
  }
}

function checkVersion(version: unknown, path: string): void {
  if (typeof version !== 'string') fail(path, `must be a string such as "1.3", got ${show(version)}`);
  const m = /^(\d+)\.(\d+)$/.exec(version);
  if (!m) fail(path, `must look like "1.3", got ${show(version)}`);
  const major = Number(m[1]);
  const minor = Number(m[2]);
  if (major !== 1 || minor > 3)
    fail(path, `${version} is newer than ${MAX_CARD_VERSION}, the highest Webex renders`);
}

function fail(path: string, what: string): never {
  throw new InvalidArgumentError(`invalid adaptive card: ${path} ${what}`);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}
