/**
 * File downloads (docs/protocol.md §7.6): bytes with Content-Type, Content-Disposition and
 * Content-Length; 423 + Retry-After while "being scanned", 410 infected, 428 unscannable unless
 * `?allow=unscannable`. HEAD answers the same headers without the body (and counts as a poll).
 */
import { EmulatorHttpError } from '../state/world.js';
import type { Route } from './env.js';
import type { Reply } from './http.js';
import { uuidOf } from './ids.js';

/** `attachment; filename="…"`, plus RFC 5987 `filename*` when the name is not plain ASCII. */
export function contentDisposition(name: string): string {
  const ascii = /^[\x20-\x7e]*$/.test(name);
  const fallback = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  const base = `attachment; filename="${fallback}"`;
  if (ascii && fallback === name) return base;
  const encoded = encodeURIComponent(name).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `${base}; filename*=UTF-8''${encoded}`;
}

/** Retry-After (s) of a 423 while a file is scanned (§7.6 decision). */
const SCAN_RETRY_AFTER = 1;

export const contentRoutes: Route[] = [
  {
    method: 'GET',
    pattern: '/contents/{id}',
    handler: (req, { world }): Reply => {
      const fileId = uuidOf(req.params.id, 'CONTENT');
      const file = world.files.get(fileId);
      const message = file && world.messages.get(fileId.split('/')[0] ?? '');
      // Only people who can see the message may download its files (§7.8).
      if (!file || !message || message.deleted || !world.canSeeMessage(req.me.id, message)) {
        throw new EmulatorHttpError(404, 'Could not find the content with provided ID.');
      }
      if (file.scanPollsLeft > 0) {
        file.scanPollsLeft -= 1;
        throw new EmulatorHttpError(
          423,
          'The file is being scanned for malware; try again later.',
          SCAN_RETRY_AFTER,
        );
      }
      if (file.scanResult === 'infected')
        throw new EmulatorHttpError(410, 'The file was found infected and removed.');
      if (file.scanResult === 'unscannable' && req.url.searchParams.get('allow') !== 'unscannable') {
        throw new EmulatorHttpError(
          428,
          'The file cannot be scanned for malware; add ?allow=unscannable to download it.',
        );
      }
      return {
        status: 200,
        bytes: file.bytes,
        headers: {
          'Content-Type': file.contentType,
          'Content-Disposition': contentDisposition(file.name),
          'Content-Length': file.bytes.length,
        },
      };
    },
  },
];
