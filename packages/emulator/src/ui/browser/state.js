// The chat page's state: who the page acts as, the open space, its messages, and what the composer
// holds. One object, shared by the modules; the server is the source of truth, this is a view of it.

export const state = {
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
