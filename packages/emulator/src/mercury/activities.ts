/**
 * World change → Mercury `conversation.activity` (docs/protocol.md §5), with every text field
 * encrypted under the room's key as a `dir`/A256GCM JWE (§5.3). Edits are SDK style: a new `post`
 * activity whose `parent` is `{id: <edited message>, type: "edit"}` (§5.5). Ids are UUIDs; the key URL
 * is at the activity root (§5.1); `target` carries the conversation with its tags (§5.1).
 */
import { createCipheriv, randomBytes, randomUUID } from 'node:crypto';
import { contentId } from '@herald/webex';
import type { Change, Message, Person, Room } from '../state/types.js';
import type { World } from '../state/world.js';
import { jweEncrypt } from './crypto.js';

export interface ActivityEnv {
  world: World;
  /** `http://127.0.0.1:<port>`. */
  origin: string;
  /** Content key of a room key URL, created on first use (the KMS's). */
  contentKey(keyUrl: string): Buffer;
}

type Json = Record<string, unknown>;

function actor(p: Person | undefined, id: string): Json {
  return {
    id,
    objectType: 'person',
    entryUUID: id,
    emailAddress: p?.emails[0] ?? '',
    displayName: p?.displayName ?? '',
    orgId: p?.orgId,
  };
}

function tags(room: Room): string[] {
  const t: string[] = [room.type === 'direct' ? 'ONE_ON_ONE' : 'TEAM'];
  if (room.isLocked) t.push('LOCKED');
  if (room.isAnnouncementOnly) t.push('ANNOUNCEMENT');
  return t;
}

function target(room: Room, origin: string): Json {
  return {
    id: room.id,
    objectType: 'conversation',
    url: `${origin}/conversation/api/v1/conversations/${room.id}`,
    tags: tags(room),
  };
}

function envelope(
  env: ActivityEnv,
  id: string,
  verb: string,
  room: Room,
  actorId: string,
  published: string,
  object: Json,
): Json {
  return {
    id,
    objectType: 'activity',
    url: `${env.origin}/conversation/api/v1/activities/${id}`,
    verb,
    published,
    encryptionKeyUrl: room.encryptionKeyUrl,
    actor: actor(env.world.people.get(actorId), actorId),
    object,
    target: target(room, env.origin),
  };
}

function commentObject(m: Message, key: Buffer): Json {
  const o: Json = { objectType: 'comment', displayName: jweEncrypt(m.text, key) };
  if (m.html !== undefined) o.content = jweEncrypt(m.html, key);
  if (m.mentionedPeople.length > 0) {
    o.mentions = { items: m.mentionedPeople.map((id) => ({ id, objectType: 'person' })) };
  }
  if (m.mentionedGroups.length > 0) {
    o.groupMentions = { items: m.mentionedGroups.map((g) => ({ objectType: 'groupMention', groupType: g })) };
  }
  if (m.attachments.length > 0)
    o.cards = m.attachments.map((a) => jweEncrypt(JSON.stringify(a.content), key));
  return o;
}

/**
 * §5.6: the SCR of a file — a fresh AES-256-GCM key and IV, AAD = the UTF-8 of `aad`, and the tag
 * of really encrypting the file's bytes with them, so the SCR is a true one. `loc` is the REST content
 * URL, which (like Webex's REST API) serves the bytes in clear; the SDK's encrypted-download path
 * (`/download/endpoints`) is not emulated.
 */
export function fileScr(bytes: Buffer, aad: string, loc: string): Record<string, string> {
  const key = randomBytes(32);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  cipher.update(bytes);
  cipher.final();
  return {
    enc: 'A256GCM',
    key: key.toString('base64url'),
    iv: iv.toString('base64url'),
    aad,
    loc,
    tag: cipher.getAuthTag().toString('base64url'),
  };
}

/** §5.6: a share of `content`; each file's name and SCR encrypted. */
function shareObject(env: ActivityEnv, m: Message, key: Buffer): Json {
  const o = commentObject(m, key);
  o.objectType = 'content';
  o.contentCategory = 'documents';
  o.files = {
    items: m.files.map((fid, i) => {
      const f = env.world.files.get(fid);
      const url = `${env.origin}/v1/contents/${contentId(m.id, i)}`;
      const scr = fileScr(f?.bytes ?? Buffer.alloc(0), m.created, url);
      return {
        objectType: 'file',
        url,
        displayName: jweEncrypt(f?.name ?? `file-${i}`, key),
        fileSize: f?.bytes.length ?? 0,
        mimeType: f?.contentType ?? 'application/octet-stream',
        scr: jweEncrypt(JSON.stringify(scr), key),
      };
    }),
  };
  return o;
}

function personObject(env: ActivityEnv, personId: string, isModerator: boolean): Json {
  return { ...actor(env.world.people.get(personId), personId), roomProperties: { isModerator } };
}

/** The activity for one change, or undefined when the room is gone. */
export function activityFor(env: ActivityEnv, change: Change): Json | undefined {
  const w = env.world;
  switch (change.kind) {
    case 'message.created': {
      const m = change.message;
      const room = w.rooms.get(m.roomId);
      if (!room) return undefined;
      const key = env.contentKey(room.encryptionKeyUrl);
      const isShare = m.files.length > 0;
      const a = envelope(
        env,
        m.id,
        isShare ? 'share' : 'post',
        room,
        change.actorId,
        m.created,
        isShare ? shareObject(env, m, key) : commentObject(m, key),
      );
      if (m.parentId) a.parent = { id: m.parentId, type: 'reply' };
      return a;
    }
    case 'message.updated': {
      const m = change.message;
      const room = w.rooms.get(m.roomId);
      if (!room) return undefined;
      const key = env.contentKey(room.encryptionKeyUrl);
      const a = envelope(
        env,
        randomUUID(),
        'post',
        room,
        change.actorId,
        m.updated ?? w.nowIso(),
        commentObject(m, key),
      );
      a.parent = { id: m.id, type: 'edit' };
      return a;
    }
    case 'message.deleted': {
      const m = change.message;
      const room = w.rooms.get(m.roomId);
      if (!room) return undefined;
      return envelope(env, randomUUID(), 'delete', room, change.actorId, w.nowIso(), {
        id: m.id,
        objectType: 'activity',
      });
    }
    case 'attachmentAction.created': {
      const act = change.action;
      const room = w.rooms.get(act.roomId);
      if (!room) return undefined;
      const key = env.contentKey(room.encryptionKeyUrl);
      const a = envelope(env, act.id, 'cardAction', room, change.actorId, act.created, {
        objectType: 'submit',
        inputs: jweEncrypt(JSON.stringify(act.inputs), key),
      });
      a.parent = { id: act.messageId, type: 'cardAction' };
      return a;
    }
    case 'membership.created':
    case 'membership.updated':
    case 'membership.deleted': {
      const ms = change.membership;
      const room = w.rooms.get(ms.roomId);
      if (!room) return undefined;
      const verb =
        change.kind === 'membership.created'
          ? 'add'
          : change.kind === 'membership.deleted'
            ? 'leave'
            : ms.isModerator
              ? 'assignModerator'
              : 'unassignModerator';
      return envelope(
        env,
        randomUUID(),
        verb,
        room,
        change.actorId,
        w.nowIso(),
        personObject(env, ms.personId, ms.isModerator),
      );
    }
    case 'room.created':
    case 'room.updated': {
      const room = change.room;
      const key = env.contentKey(room.encryptionKeyUrl);
      const object: Json = {
        id: room.id,
        objectType: 'conversation',
        displayName: jweEncrypt(room.title, key),
        tags: tags(room),
      };
      if (change.kind === 'room.created') {
        object.participants = {
          items: w.membersOf(room.id).map((m) => personObject(env, m.personId, m.isModerator)),
        };
      }
      return envelope(
        env,
        randomUUID(),
        change.kind === 'room.created' ? 'create' : 'update',
        room,
        change.actorId,
        w.nowIso(),
        object,
      );
    }
  }
}
