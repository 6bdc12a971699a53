/** Attachment actions: card submissions (docs/protocol.md §7.5). */
import type { CallOptions, WriteCallOptions } from '../options.js';
import type { AttachmentAction } from '../types.js';
import { Collection } from './collection.js';
import type { ResourceContext } from './context.js';
import { requireString } from './util.js';

export interface CreateAttachmentActionParams {
  /** Always `submit`. */
  type?: 'submit' | undefined;
  /** The message that carries the card. */
  messageId: string;
  /** Input id -> value. */
  inputs: Record<string, unknown>;
}

export class AttachmentActionsResource {
  readonly #actions: Collection<AttachmentAction>;

  constructor(ctx: ResourceContext) {
    this.#actions = new Collection<AttachmentAction>(ctx, '/attachment/actions', 'actionId');
  }

  /**
   * `POST /attachment/actions` (what a Webex client does when a user submits a card). Success may
   * be 200 or 202 (§7.1); both are accepted.
   */
  async create(params: CreateAttachmentActionParams, options?: WriteCallOptions): Promise<AttachmentAction> {
    requireString('messageId', params?.messageId);
    const body = { type: params.type ?? 'submit', messageId: params.messageId, inputs: params.inputs ?? {} };
    return this.#actions.create(body, options);
  }

  /** `GET /attachment/actions/{id}`: the submission with its `inputs` (webhooks leave them out). */
  async get(actionId: string, options?: CallOptions): Promise<AttachmentAction> {
    return this.#actions.get(actionId, options);
  }
}
