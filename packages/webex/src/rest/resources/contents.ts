/** File downloads (docs/protocol.md §7.6). */
import { AbortedError, ContentNotReadyError, InvalidArgumentError, WebexApiError } from '../../errors.js';
import { backoff } from '../../retry.js';
import { filenameFromContentDisposition } from '../headers.js';
import type { CallOptions } from '../options.js';
import type { Pipeline } from '../pipeline.js';
import type { DownloadedContent } from '../types.js';
import type { ResourceContext } from './context.js';

export interface DownloadOptions extends CallOptions {
  /**
   * How long to keep waiting while Webex answers 423 (file still being scanned), in ms, summed
   * over the waits; then `ContentNotReadyError`. `0` fails on the first 423. Default 60 000 ms.
   */
  maxScanWaitMs?: number | undefined;
  /**
   * Download a file Webex could not scan (428, e.g. an encrypted archive) by adding
   * `allow=unscannable` (§7.6). Default false: a 428 is thrown as `WebexApiError`.
   */
  allowUnscannable?: boolean | undefined;
  /** Largest file accepted, in bytes. Default 100 MiB, Webex's limit per file (§7.4, D-ATT). */
  maxBytes?: number | undefined;
}

export interface ContentInfo {
  filename: string;
  contentType: string;
  /** `Content-Length`, when sent. */
  size: number | undefined;
}

export const DEFAULT_MAX_SCAN_WAIT_MS = 60_000;
export const DEFAULT_MAX_CONTENT_BYTES = 100 * 1024 * 1024;

/**
 * The CONTENT id in a content URL (`…/v1/contents/<id>`), or undefined when the URL has no
 * `contents` segment followed by an id.
 */
export function contentIdFromUrl(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  const segments = parsed.pathname.split('/');
  const at = segments.lastIndexOf('contents');
  const id = at >= 0 ? segments[at + 1] : undefined;
  if (!id) return undefined;
  try {
    return decodeURIComponent(id);
  } catch {
    return undefined;
  }
}

export class ContentsResource {
  constructor(
    private readonly ctx: ResourceContext,
    private readonly pipeline: Pipeline,
  ) {}

  /**
   * `GET /contents/{contentId}`: a file of a message. Takes a URL from `message.files` or a bare
   * CONTENT id. The request always goes to the client's base URL (only the id is taken from a
   * URL), so a URL in a message cannot take the token to another host.
   */
  async download(urlOrId: string, options: DownloadOptions = {}): Promise<DownloadedContent> {
    const { path, fallbackName } = this.target(urlOrId);
    const maxScanWaitMs = options.maxScanWaitMs ?? DEFAULT_MAX_SCAN_WAIT_MS;
    let waited = 0;
    for (let poll = 0; ; poll++) {
      try {
        const res = await this.ctx.raw({
          method: 'GET',
          path,
          query: { allow: options.allowUnscannable ? 'unscannable' : undefined },
          accept: '*/*',
          signal: options.signal,
          timeoutMs: options.timeoutMs,
          maxBytes: options.maxBytes ?? DEFAULT_MAX_CONTENT_BYTES,
        });
        return {
          data: res.body,
          filename: filenameFromContentDisposition(res.headers.get('content-disposition')) ?? fallbackName,
          contentType: res.headers.get('content-type') ?? 'application/octet-stream',
          size: res.body.length,
        };
      } catch (err) {
        if (!(err instanceof WebexApiError) || err.status !== 423) throw err;
        // 423: still being scanned; Retry-After usually says when to come back, else back off (§7.6).
        const waitMs = Math.max(
          100,
          err.retryAfter !== undefined
            ? err.retryAfter * 1000
            : backoff(this.pipeline.options.retry, poll + 1, this.pipeline.options.random),
        );
        if (waited + waitMs > maxScanWaitMs) throw new ContentNotReadyError(err, waited);
        this.pipeline.options.logger.debug({ path, waitMs, poll }, 'webex file is being scanned; waiting');
        try {
          await this.pipeline.options.sleep(waitMs, options.signal);
        } catch (cause) {
          if (options.signal?.aborted)
            throw new AbortedError(`GET ${err.path}`, { cause: options.signal.reason });
          throw cause;
        }
        if (options.signal?.aborted)
          throw new AbortedError(`GET ${err.path}`, { cause: options.signal.reason });
        waited += waitMs;
      }
    }
  }

  /** `HEAD /contents/{contentId}`: name, type and size without the bytes. */
  async info(urlOrId: string, options: CallOptions = {}): Promise<ContentInfo> {
    const { path, fallbackName } = this.target(urlOrId);
    const res = await this.ctx.raw({ method: 'HEAD', path, accept: '*/*', ...options });
    const length = Number(res.headers.get('content-length'));
    return {
      filename: filenameFromContentDisposition(res.headers.get('content-disposition')) ?? fallbackName,
      contentType: res.headers.get('content-type') ?? 'application/octet-stream',
      size: res.headers.has('content-length') && Number.isFinite(length) ? length : undefined,
    };
  }

  private target(urlOrId: string): { path: string; fallbackName: string } {
    if (typeof urlOrId !== 'string' || urlOrId.trim() === '') {
      throw new InvalidArgumentError('contents: give a content URL or a CONTENT id');
    }
    const isUrl = /^[a-z][a-z0-9+.-]*:\/\//i.test(urlOrId);
    const id = isUrl ? contentIdFromUrl(urlOrId) : urlOrId;
    if (!id) throw new InvalidArgumentError('contents: the URL has no /contents/<id> part');
    const lastSegment = isUrl ? new URL(urlOrId).pathname.split('/').filter(Boolean).pop() : undefined;
    let fallbackName = id;
    if (lastSegment) {
      try {
        fallbackName = decodeURIComponent(lastSegment);
      } catch {
        fallbackName = lastSegment;
      }
    }
    return { path: `/contents/${encodeURIComponent(id)}`, fallbackName };
  }
}
