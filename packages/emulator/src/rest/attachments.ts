/** Attachment actions: card submissions (docs/protocol.md §7.5). */
import { EmulatorHttpError } from '../state/world.js';
import { ok, type Route } from './env.js';
import { uuidOf } from './ids.js';
import { attachmentActionView } from './views.js';

export const attachmentRoutes: Route[] = [
  {
    method: 'POST',
    pattern: '/attachment/actions',
    // §7.1 decision: 200 (OAS says 202; SDKs expect 200).
    handler: async (req, { world }) => {
      const body = await req.json();
      if (body.type !== 'submit') throw new EmulatorHttpError(400, 'type must be submit.');
      const inputs = body.inputs ?? {};
      if (typeof inputs !== 'object' || inputs === null || Array.isArray(inputs)) {
        throw new EmulatorHttpError(400, 'inputs must be an object.');
      }
      const action = world.submitCard(
        req.me.id,
        uuidOf(body.messageId, 'MESSAGE'),
        inputs as Record<string, unknown>,
      );
      return ok(attachmentActionView(action));
    },
  },
  {
    method: 'GET',
    pattern: '/attachment/actions/{id}',
    // Decision: readable by the submitter and by the sender of the card (the bot that asked).
    handler: (req, { world }) => {
      const action = world.attachmentActions.get(uuidOf(req.params.id, 'ATTACHMENT_ACTION'));
      const card = action && world.messages.get(action.messageId);
      if (!action || (action.personId !== req.me.id && card?.personId !== req.me.id)) {
        throw new EmulatorHttpError(404, 'Could not find an attachment action with provided ID.');
      }
      return ok(attachmentActionView(action));
    },
  },
];
