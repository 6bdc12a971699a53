/** Attachment actions: card submissions (docs/protocol.md §7.5). */
import type { CallOptions, WriteCallOptions } from '../options.js';
import type { AttachmentAction } from '../types.js';
import type { ResourceContext } from './context.js';
import { callSpec, idSegment, requireString } from './util.js';

export interface CreateAttachmentActionParams {
  /** Always `submit`. */
  type?: 'submit' | undefined;
  /** The message that carries the card. */
  messageId: string;
  /** Input id -> value. */
  inputs: Record<string, unknown>;
}

export class AttachmentActionsResource {
  constructor(private readonly ctx: ResourceContext) {}

  /**
   * `POST /attachment/actions` (what a Webex client does when a user submits a card). Success may
   * be 200 or 202 (§7.1); both are accepted.
   */
  async create(params: CreateAttachmentActionParams, options?: WriteCallOptions): Promise<AttachmentAction> {
    requireString('messageId', params?.messageId);
    return this.ctx.json<AttachmentAction>({
      method: 'POST',
      path: '/attachment/actions',
      json: { type: params.type ?? 'submit', messageId: params.messageId, inputs: params.inputs ?? {} },
      ...callSpec(options),
    });
  }

  /** `GET /attachment/actions/{id}`: the submission with its `inputs` (webhooks leave them out). */
  async get(actionId: string, options?: CallOptions): Promise<AttachmentAction> {
    return this.ctx.json<AttachmentAction>({
      method: 'GET',
      path: `/attachment/actions/${idSegment('actionId', actionId)}`,
      ...callSpec(options),
    });
  }
}
