/** Card submissions: a member of the card message's room submits its inputs (an attachment action). */
import { EmulatorHttpError } from './errors.js';
import { membership, mustPerson } from './lookups.js';
import type { AttachmentAction } from './types.js';
import type { WorldState } from './world-state.js';

export function submitCard(
  w: WorldState,
  personId: string,
  messageId: string,
  inputs: Record<string, unknown>,
): AttachmentAction {
  mustPerson(w, personId);
  const message = w.messages.get(messageId);
  if (!message || message.deleted || !membership(w, personId, message.roomId)) {
    throw new EmulatorHttpError(404, 'Could not find a message with provided ID.');
  }
  if (message.attachments.length === 0) throw new EmulatorHttpError(400, 'The message carries no card.');
  if (typeof inputs !== 'object' || inputs === null || Array.isArray(inputs)) {
    throw new EmulatorHttpError(400, 'inputs must be an object.');
  }
  const action: AttachmentAction = {
    id: w.uuid(),
    type: 'submit',
    messageId,
    personId,
    roomId: message.roomId,
    inputs: structuredClone(inputs),
    created: w.nowIso(),
  };
  w.attachmentActions.set(action.id, action);
  w.emit({ kind: 'attachmentAction.created', actorId: personId, action: structuredClone(action) });
  return action;
}
