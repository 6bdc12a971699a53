/** Messages (docs/protocol.md §7.4). */
import { InvalidArgumentError } from '../../errors.js';
import type { CallOptions } from '../options.js';
import type { Paginated } from '../paginate.js';
import type { CardAttachment, Message } from '../types.js';
import { Collection } from './collection.js';
import type { ResourceContext } from './context.js';
import { callSpec, defined, exactlyOne, queryOf, requireString } from './util.js';

/** A local file sent with the message (multipart upload, §7.4). */
export interface MessageFile {
  /** The bytes (a Buffer is a Uint8Array). */
  data: Uint8Array;
  filename: string;
  /** Default `application/octet-stream`. */
  contentType?: string | undefined;
}

export interface CreateMessageParams {
  /** One of `roomId`, `toPersonId`, `toPersonEmail`. */
  roomId?: string | undefined;
  /** Posts into the 1:1 room with that person, creating it if needed (§7.3). */
  toPersonId?: string | undefined;
  toPersonEmail?: string | undefined;
  /** Reply in the thread of this message. */
  parentId?: string | undefined;
  /** Plain text (the fallback when `markdown` is given). Webex's limit is 7,439 bytes; the server checks it. */
  text?: string | undefined;
  /** Markdown, mentions as `<@personId:…|Name>` or `<@personEmail:…>` (§5.4). */
  markdown?: string | undefined;
  /** Public URLs Webex fetches; only one file per message (§7.4). */
  files?: readonly string[] | undefined;
  /** A file's bytes: the message is sent as multipart/form-data (§7.4). Not with `files` or `attachments`. */
  file?: MessageFile | undefined;
  /** One card per message. */
  attachments?: readonly CardAttachment[] | undefined;
}

export interface ListMessagesParams {
  roomId: string;
  /** `me` or the caller's own id; bots must pass it in group rooms (§7.8). */
  mentionedPeople?: string | readonly string[] | undefined;
  /** Only messages before this time. */
  before?: string | Date | undefined;
  /** Only messages before this MESSAGE id. */
  beforeMessage?: string | undefined;
  /** Only replies to this thread parent. */
  parentId?: string | undefined;
  /** Page size (default 50 on the server; at most 100 with `mentionedPeople`). */
  max?: number | undefined;
}

export interface ListDirectMessagesParams {
  /** One of `personId`, `personEmail`: selects the 1:1 room. */
  personId?: string | undefined;
  personEmail?: string | undefined;
  parentId?: string | undefined;
}

export interface EditMessageParams {
  /** Required by Webex even though the id is in the path (§7.4). */
  roomId: string;
  text?: string | undefined;
  markdown?: string | undefined;
}

export class MessagesResource {
  readonly #ctx: ResourceContext;
  readonly #messages: Collection<Message>;

  constructor(ctx: ResourceContext) {
    this.#ctx = ctx;
    this.#messages = new Collection<Message>(ctx, '/messages', 'messageId');
  }

  /**
   * `POST /messages`. Never repeated after a 5xx or network error (only a 429, which Webex did not
   * process), so a message is not silently sent twice; the caller decides what to do on failure.
   */
  async create(params: CreateMessageParams, options?: CallOptions): Promise<Message> {
    if (!params || typeof params !== 'object')
      throw new InvalidArgumentError('messages.create: params required');
    exactlyOne('messages.create', {
      roomId: params.roomId,
      toPersonId: params.toPersonId,
      toPersonEmail: params.toPersonEmail,
    });
    const hasFiles = params.files !== undefined && params.files.length > 0;
    const hasCards = params.attachments !== undefined && params.attachments.length > 0;
    if (!params.text && !params.markdown && !hasFiles && !params.file && !hasCards) {
      throw new InvalidArgumentError('messages.create: give text, markdown, files, file or attachments');
    }
    const call = { signal: options?.signal, timeoutMs: options?.timeoutMs };
    const file = params.file;
    if (file === undefined) {
      const body = defined({
        ...params,
        files: hasFiles ? params.files : undefined,
        attachments: hasCards ? params.attachments : undefined,
      });
      return this.#ctx.json<Message>({ method: 'POST', path: '/messages', json: body, ...call });
    }
    if (hasFiles)
      throw new InvalidArgumentError('messages.create: give files (URLs) or file (bytes), not both');
    if (hasCards) throw new InvalidArgumentError('messages.create: a file upload cannot carry attachments');
    if (!(file.data instanceof Uint8Array)) {
      throw new InvalidArgumentError('messages.create: file.data must be a Uint8Array or Buffer');
    }
    requireString('file.filename', file.filename);
    const form = (): FormData => {
      const fd = new FormData();
      for (const key of ['roomId', 'toPersonId', 'toPersonEmail', 'parentId', 'text', 'markdown'] as const) {
        const value = params[key];
        if (value !== undefined) fd.append(key, value);
      }
      // The part is named `files`, with its own file name and type (§7.4, D-ATT).
      const blob = new Blob([file.data], { type: file.contentType ?? 'application/octet-stream' });
      fd.append('files', blob, file.filename);
      return fd;
    };
    return this.#ctx.json<Message>({ method: 'POST', path: '/messages', form, ...call });
  }

  /** `GET /messages/{messageId}`. A bot gets only messages it may see (§7.8). */
  async get(messageId: string, options?: CallOptions): Promise<Message> {
    return this.#messages.get(messageId, options);
  }

  /** `GET /messages`, newest first. */
  list(params: ListMessagesParams, options?: CallOptions): Paginated<Message> {
    requireString('roomId', params?.roomId);
    return this.#messages.list(
      {
        roomId: params.roomId,
        mentionedPeople: params.mentionedPeople,
        before: params.before instanceof Date ? params.before.toISOString() : params.before,
        beforeMessage: params.beforeMessage,
        parentId: params.parentId,
        max: params.max,
      },
      options,
    );
  }

  /** `GET /messages/direct`: the 1:1 room with a person, newest first. */
  listDirect(params: ListDirectMessagesParams, options?: CallOptions): Paginated<Message> {
    exactlyOne('messages.listDirect', { personId: params?.personId, personEmail: params?.personEmail });
    return this.#ctx.list<Message>({
      method: 'GET',
      path: '/messages/direct',
      query: queryOf(params, ['personId', 'personEmail', 'parentId']),
      ...callSpec(options),
    });
  }

  /** `PUT /messages/{messageId}`: own messages, at most 10 edits, none with files or cards (§7.4). */
  async edit(messageId: string, params: EditMessageParams, options?: CallOptions): Promise<Message> {
    const body = { roomId: params?.roomId, text: params?.text, markdown: params?.markdown };
    return this.#messages.update(messageId, body, options, () => {
      requireString('roomId', params?.roomId);
      if (!params.text && !params.markdown)
        throw new InvalidArgumentError('messages.edit: give text or markdown');
    });
  }

  /** `DELETE /messages/{messageId}`. */
  async delete(messageId: string, options?: CallOptions): Promise<void> {
    await this.#messages.delete(messageId, options);
  }
}
