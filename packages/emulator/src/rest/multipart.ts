/**
 * A small multipart/form-data parser for `POST /messages` uploads (docs/protocol.md §7.4
 * "multipart upload": form fields plus one part named `files` with its own filename and type).
 * Bytes in, parts out; the caller bounds the body size before calling.
 */
import { EmulatorHttpError } from '../state/world.js';

export interface FormPart {
  name: string;
  filename?: string | undefined;
  contentType?: string | undefined;
  data: Buffer;
}

const MAX_PARTS = 32;
const MAX_HEADER_BYTES = 8 * 1024;

export function boundaryOf(contentType: string): string {
  const m = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;]{1,70}))/i.exec(contentType);
  const boundary = m?.[1] ?? m?.[2];
  if (!boundary) throw new EmulatorHttpError(400, 'multipart/form-data without a boundary.');
  return boundary;
}

export function parseMultipart(body: Buffer, boundary: string): FormPart[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: FormPart[] = [];
  let pos = body.indexOf(delimiter);
  if (pos < 0) throw new EmulatorHttpError(400, 'Malformed multipart body: no boundary found.');
  for (;;) {
    pos += delimiter.length;
    // `--` right after a delimiter closes the body.
    if (body[pos] === 0x2d && body[pos + 1] === 0x2d) return parts;
    if (body[pos] === 0x0d && body[pos + 1] === 0x0a) pos += 2;
    else throw new EmulatorHttpError(400, 'Malformed multipart body: expected CRLF after the boundary.');
    const headerEnd = body.indexOf('\r\n\r\n', pos);
    if (headerEnd < 0 || headerEnd - pos > MAX_HEADER_BYTES) {
      throw new EmulatorHttpError(400, 'Malformed multipart body: part headers missing or too long.');
    }
    const headers = parseHeaders(body.subarray(pos, headerEnd).toString('utf8'));
    const dataStart = headerEnd + 4;
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), dataStart);
    if (next < 0) throw new EmulatorHttpError(400, 'Malformed multipart body: unterminated part.');
    const disposition = headers.get('content-disposition') ?? '';
    const name = param(disposition, 'name');
    if (!/^form-data\b/i.test(disposition) || name === undefined) {
      throw new EmulatorHttpError(400, 'Malformed multipart body: a part without form-data name.');
    }
    parts.push({
      name,
      filename: extendedParam(disposition, 'filename') ?? param(disposition, 'filename'),
      contentType: headers.get('content-type'),
      data: body.subarray(dataStart, next),
    });
    if (parts.length > MAX_PARTS) throw new EmulatorHttpError(400, 'Too many multipart parts.');
    pos = next + 2;
  }
}

function parseHeaders(block: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of block.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) out.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return out;
}

/** `name="value"` or `name=value` in a header (quoted-string backslash escapes undone). */
function param(header: string, name: string): string | undefined {
  const m = new RegExp(`;\\s*${name}=(?:"((?:[^"\\\\]|\\\\.)*)"|([^;\\s]*))`, 'i').exec(header);
  if (!m) return undefined;
  return m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2];
}

/** RFC 5987 `name*=UTF-8''percent-encoded`. */
function extendedParam(header: string, name: string): string | undefined {
  const m = new RegExp(`;\\s*${name}\\*=([^']*)'[^']*'([^;\\s]*)`, 'i').exec(header);
  if (!m) return undefined;
  try {
    return decodeURIComponent(m[2] ?? '');
  } catch {
    return undefined;
  }
}
