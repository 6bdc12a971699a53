/**
 * Pure parsers for the response headers the pipeline acts on: `Link` (pagination, docs/protocol.md §7.1),
 * `Retry-After` (§7.1) and `Content-Disposition` (file names of downloads, §7.6).
 */

export interface LinkValue {
  /** The target as written between `<` and `>` (not resolved). */
  url: string;
  /** Relation types, lower-cased (`rel="next last"` gives two). */
  rels: string[];
}

/**
 * Parse an RFC 8288 `Link` header: several links separated by commas, parameters by `;`, values
 * quoted or not. Commas inside `<…>` (e.g. `id=a,b`) and inside quoted values do not split.
 */
export function parseLinkHeader(header: string | null | undefined): LinkValue[] {
  const out: LinkValue[] = [];
  if (!header) return out;
  let i = 0;
  const n = header.length;
  while (i < n) {
    const open = header.indexOf('<', i);
    if (open < 0) break;
    const close = header.indexOf('>', open + 1);
    if (close < 0) break;
    const url = header.slice(open + 1, close).trim();
    i = close + 1;
    const rels: string[] = [];
    // Parameters up to the next top-level comma.
    while (i < n) {
      while (i < n && (header[i] === ' ' || header[i] === '\t')) i++;
      if (header[i] === ',') {
        i++;
        break;
      }
      if (header[i] !== ';') {
        // Garbage between links: skip to the next comma or '<'.
        const nextComma = header.indexOf(',', i);
        const nextOpen = header.indexOf('<', i);
        if (nextOpen >= 0 && (nextComma < 0 || nextOpen < nextComma)) {
          i = nextOpen;
          break;
        }
        i = nextComma < 0 ? n : nextComma + 1;
        break;
      }
      i++;
      const param = readParam(header, i);
      i = param.end;
      if (param.name === 'rel' && param.value !== undefined) {
        for (const r of param.value.split(/\s+/)) if (r) rels.push(r.toLowerCase());
      }
    }
    out.push({ url, rels });
  }
  return out;
}

/** The first link with relation `next`, or undefined. */
export function nextLinkUrl(header: string | null | undefined): string | undefined {
  return parseLinkHeader(header).find((l) => l.rels.includes('next'))?.url;
}

interface Param {
  name: string;
  value: string | undefined;
  end: number;
}

/** Read `name[=value]` starting at `i`, value a token or a quoted string with `\` escapes. */
function readParam(s: string, start: number): Param {
  let i = start;
  const n = s.length;
  while (i < n && (s[i] === ' ' || s[i] === '\t')) i++;
  let name = '';
  while (i < n && s[i] !== '=' && s[i] !== ';' && s[i] !== ',') name += s[i++];
  name = name.trim().toLowerCase();
  if (s[i] !== '=') return { name, value: undefined, end: i };
  i++;
  while (i < n && (s[i] === ' ' || s[i] === '\t')) i++;
  let value = '';
  if (s[i] === '"') {
    i++;
    while (i < n && s[i] !== '"') {
      // quoted-pair for `\"` and `\\` only: servers often send Windows paths unescaped.
      if (s[i] === '\\' && (s[i + 1] === '"' || s[i + 1] === '\\')) i++;
      value += s[i++];
    }
    i++; // closing quote
    while (i < n && s[i] !== ';' && s[i] !== ',') i++;
  } else {
    while (i < n && s[i] !== ';' && s[i] !== ',') value += s[i++];
    value = value.trim();
  }
  return { name, value, end: i };
}

/**
 * `Retry-After` in seconds: delay-seconds, or an HTTP date (RFC 9110 §10.2.3) measured against
 * `now`. Webex sends integer seconds (§7.1); a date in the past gives 0. Returns undefined when
 * the header is missing or malformed (the caller applies its default).
 */
export function parseRetryAfter(
  header: string | null | undefined,
  now: number = Date.now(),
): number | undefined {
  if (header === null || header === undefined) return undefined;
  const v = header.trim();
  if (/^\d+$/.test(v)) return Number.parseInt(v, 10);
  if (/^\d+\.\d+$/.test(v)) return Math.ceil(Number.parseFloat(v));
  // An HTTP date always names a weekday and GMT; insisting on letters avoids Date.parse('12').
  if (/[A-Za-z]{3}/.test(v)) {
    const at = Date.parse(v);
    if (Number.isFinite(at)) return Math.max(0, Math.ceil((at - now) / 1000));
  }
  return undefined;
}

/**
 * File name from a `Content-Disposition` header, or undefined. RFC 6266: `filename*` (RFC 5987
 * `charset'lang'percent-encoded`, UTF-8 or ISO-8859-1) is preferred over `filename`. Directory
 * parts are removed, so the result is safe to join to a directory.
 */
export function filenameFromContentDisposition(header: string | null | undefined): string | undefined {
  if (!header) return undefined;
  let plain: string | undefined;
  let extended: string | undefined;
  const semi = header.indexOf(';');
  let i = semi < 0 ? header.length : semi + 1;
  while (i < header.length) {
    const p = readParam(header, i);
    i = p.end + 1;
    if (p.value === undefined) continue;
    if (p.name === 'filename*' && extended === undefined) extended = decodeExtValue(p.value);
    else if (p.name === 'filename' && plain === undefined) plain = p.value;
  }
  const chosen = extended ?? plain;
  if (chosen === undefined) return undefined;
  const base = chosen.split(/[/\\]/).pop()?.trim() ?? '';
  return base === '' || base === '.' || base === '..' ? undefined : base;
}

/** RFC 5987 ext-value, or undefined when it does not decode. */
function decodeExtValue(value: string): string | undefined {
  const m = /^([A-Za-z0-9!#$%&+^_`{}~-]*)'[^']*'(.*)$/.exec(value);
  if (!m) return undefined;
  const charset = (m[1] ?? '').toLowerCase();
  const encoded = m[2] ?? '';
  try {
    if (charset === 'utf-8' || charset === '') return decodeURIComponent(encoded);
    if (charset === 'iso-8859-1') {
      const bytes: number[] = [];
      for (let j = 0; j < encoded.length; j++) {
        if (encoded[j] === '%' && /^[0-9A-Fa-f]{2}$/.test(encoded.slice(j + 1, j + 3))) {
          bytes.push(Number.parseInt(encoded.slice(j + 1, j + 3), 16));
          j += 2;
        } else bytes.push(encoded.charCodeAt(j));
      }
      return Buffer.from(bytes).toString('latin1');
    }
  } catch {
    return undefined;
  }
  return undefined;
}
