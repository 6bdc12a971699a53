/**
 * The parts of a Mercury `conversation.activity` the receiver reads (docs/protocol.md §5.1, §5.7).
 * Everything is optional: it is outside data, checked where it is used.
 */
export interface ActivityPerson {
  id?: string;
  entryUUID?: string;
  emailAddress?: string;
  displayName?: string;
  objectType?: string;
  orgId?: string;
  roomProperties?: { isModerator?: boolean };
}

export interface ActivityFile {
  objectType?: string;
  url?: string;
  displayName?: string;
  scr?: string;
  /** The file's own key (§5.3): overrides the activity's for `displayName` and `scr`. */
  encryptionKeyUrl?: string;
  fileSize?: number;
  mimeType?: string;
}

export interface ActivityObject extends ActivityPerson {
  content?: string;
  inputs?: unknown;
  cards?: unknown[];
  mentions?: { items?: Array<{ id?: string; objectType?: string }> };
  groupMentions?: { items?: Array<{ groupType?: string; objectType?: string }> };
  files?: { items?: ActivityFile[] };
  tags?: string[];
  encryptionKeyUrl?: string;
  participants?: { items?: ActivityPerson[] };
}

export interface Activity {
  id?: string;
  objectType?: string;
  verb?: string;
  published?: string;
  url?: string;
  encryptionKeyUrl?: string;
  actor?: ActivityPerson;
  object?: ActivityObject;
  target?: { id?: string; url?: string; objectType?: string; tags?: string[]; encryptionKeyUrl?: string };
  parent?: { id?: string; type?: string };
}
