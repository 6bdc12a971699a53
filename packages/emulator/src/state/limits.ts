/** Wire limits the world enforces (docs/protocol.md §7.4). */

/** Max UTF-8 bytes of `text` and of `markdown` (§7.4 "max 7439 bytes"). */
export const MAX_MESSAGE_BYTES = 7439;
/** Edits allowed per message; the 11th answers 400 (§7.4 "Edit"). */
export const MAX_EDITS = 10;
/** The only card content type Webex accepts (§7.4 "Cards"). */
export const CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';
/** Host of the per-room content keys (`kms://<host>/keys/<uuid>`). */
export const KMS_HOST = 'kms-cisco.wbx2.com';
