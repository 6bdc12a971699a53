/**
 * REST ids at the edge: the world holds uuids; requests and replies carry REST ids
 * (docs/protocol.md §6.1: unpadded base64 of `ciscospark://us/TYPE/uuid`; padded accepted;
 * an undecodable id or one of the wrong type answers 404).
 */
import { decodeId, encodeId, type WebexIdType } from '@herald/webex';
import { EmulatorHttpError } from '../state/world.js';

const NOT_FOUND: Record<string, string> = {
  PEOPLE: 'Could not find a person with provided ID.',
  ROOM: 'Could not find a room with provided ID.',
  MESSAGE: 'Unable to get message.',
  MEMBERSHIP: 'Could not find a membership with provided ID.',
  ORGANIZATION: 'Could not find an organization with provided ID.',
  ATTACHMENT_ACTION: 'Could not find an attachment action with provided ID.',
  CONTENT: 'Could not find the content with provided ID.',
  WEBHOOK: 'Could not find a webhook with provided ID.',
};

/** The uuid part of a REST id of `type`; 404 (with that resource's message) otherwise. */
export function uuidOf(id: unknown, type: WebexIdType): string {
  const decoded = typeof id === 'string' ? decodeId(id) : undefined;
  if (!decoded || decoded.type !== type) throw new EmulatorHttpError(404, NOT_FOUND[type] ?? 'Not found.');
  return decoded.uuid;
}

export const restId = (type: WebexIdType, uuid: string): string => encodeId(type, uuid);
