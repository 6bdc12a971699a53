/**
 * KMS client: the ECDH handshake, key retrieval, and a bounded key cache.
 *
 * Two channels (docs/protocol.md §4): requests go out as `POST {encryption}/kms/messages`
 * (answered 202, §4.3) and replies come back over Mercury as `encryption.kms_message` (§4.3). Replies
 * are matched to requests by `requestId` (§4.3), never by arrival order.
 *
 * Handshake (§4.2): a fresh P-256 key; the request is a JWE RSA-OAEP/A256GCM to the KMS static
 * key; the reply is a JWS RS256 signed by that key, verified here; the shared key is
 * HKDF-SHA-256(ECDH x, zero salt, empty info, 32 bytes). Later requests are `dir`/A256GCM JWEs with
 * `kid` = the ECDHE uri (§4.4); replies likewise (§4.5).
 */
import {
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  type KeyObject,
  randomUUID,
  X509Certificate,
} from 'node:crypto';
import { isIP } from 'node:net';
import { CompactEncrypt, compactVerify, importJWK, type JWK } from 'jose';
import { KmsError, ProtocolError } from '../errors.js';
import { type Logger, silentLogger } from '../logger.js';
import { type Clock, systemClock } from './clock.js';
import { type HttpOptions, requestJson } from './http.js';
import { decryptCompactJwe, encryptCompactJwe, parseCompactJwe } from './jwe.js';
import { assertAllowedUrl, type UrlPolicy } from './urls.js';

export interface KmsClientOptions {
  http: HttpOptions;
  /** `services.encryptionServiceUrl` of the device (already allow-listed). */
  encryptionServiceUrl: string;
  /** Raw user UUID of the token owner (WDM `userId`). */
  userId: string;
  /** Device URL, sent as `client.clientId` (§4.2). */
  deviceUrl: string;
  urlPolicy: UrlPolicy;
  /** How long to wait for a KMS reply over Mercury (ms). Default 30000 (3R, §4.6). */
  requestTimeout?: number;
  /** Most requests waiting for a reply at once; more are refused. Default 256. */
  maxPending?: number;
  /** Content keys kept (LRU). Default 1000. */
  keyCacheSize?: number;
  /** Renegotiate this long before the shared key expires (ms). Default 30000 (§4.6). */
  renewBefore?: number;
  clock?: Clock;
  logger?: Logger;
}

interface Pending {
  resolve(body: KmsReplyBody): void;
  reject(err: Error): void;
  timer: unknown;
}

interface KmsReplyBody {
  status?: number;
  reason?: string;
  requestId?: string;
  key?: { uri?: string; jwk?: JWK; expirationDate?: string };
  [k: string]: unknown;
}

interface SharedContext {
  uri: string;
  key: Buffer;
  expiresAt: number;
}

interface StaticKey {
  kid: string;
  jwk: JWK;
  key: KeyObject;
}

/** Check the KMS static key as the SDK does (§4.1): `kms:` kid, and an x5c cert naming that host and key. */
function checkStaticKey(jwk: JWK, policy: UrlPolicy): void {
  if (jwk.kty !== 'RSA' || typeof jwk.n !== 'string' || typeof jwk.e !== 'string') {
    throw new KmsError('KMS static key is not an RSA public key');
  }
  const kid = assertAllowedUrl(jwk.kid, 'kms:', policy);
  if (!Array.isArray(jwk.x5c) || typeof jwk.x5c[0] !== 'string') {
    throw new KmsError('KMS static key has no x5c certificate');
  }
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(Buffer.from(jwk.x5c[0], 'base64'));
  } catch (cause) {
    throw new KmsError('KMS static key certificate does not parse', undefined, { cause });
  }
  const host = new URL(kid).hostname.replace(/^\[|\]$/g, '');
  const named = isIP(host) ? cert.checkIP(host) : cert.checkHost(host, { subject: 'always' });
  if (!named) throw new KmsError('KMS certificate does not name the key id host');
  const certJwk = cert.publicKey.export({ format: 'jwk' });
  if (certJwk.n !== jwk.n || certJwk.e !== jwk.e) {
    throw new KmsError('KMS certificate key differs from the static key');
  }
}

/** Least-recently-used map with a size bound. */
class Lru<K, V> {
  private readonly map = new Map<K, V>();
  constructor(private readonly max: number) {}
  get(k: K): V | undefined {
    const v = this.map.get(k);
    if (v !== undefined) {
      this.map.delete(k);
      this.map.set(k, v);
    }
    return v;
  }
  set(k: K, v: V): void {
    this.map.delete(k);
    this.map.set(k, v);
    while (this.map.size > this.max) {
      const first = this.map.keys().next();
      if (first.done) break;
      this.map.delete(first.value);
    }
  }
  get size(): number {
    return this.map.size;
  }
  clear(): void {
    this.map.clear();
  }
}

export class KmsClient {
  private readonly opts: KmsClientOptions;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly requestTimeout: number;
  private readonly maxPending: number;
  private readonly renewBefore: number;
  private readonly pending = new Map<string, Pending>();
  private readonly keys: Lru<string, Buffer>;
  private readonly inflight = new Map<string, Promise<Buffer>>();
  private staticKey: StaticKey | undefined;
  private cluster: string | undefined;
  private context: SharedContext | undefined;
  private handshake: Promise<SharedContext> | undefined;
  private closed = false;

  constructor(opts: KmsClientOptions) {
    this.opts = opts;
    this.clock = opts.clock ?? systemClock;
    this.log = opts.logger ?? silentLogger;
    this.requestTimeout = opts.requestTimeout ?? 30_000;
    this.maxPending = opts.maxPending ?? 256;
    this.renewBefore = opts.renewBefore ?? 30_000;
    this.keys = new Lru(opts.keyCacheSize ?? 1000);
  }

  /** Number of requests waiting for a reply. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** Number of content keys cached. */
  get cachedKeys(): number {
    return this.keys.size;
  }

  /** Fetch the KMS details and run the handshake (again, if one was done before). Mercury must be up. */
  async initialize(): Promise<void> {
    this.context = undefined;
    this.handshake = undefined;
    await this.ensureContext();
  }

  /** Forget the shared key so that the next use renegotiates (after a Mercury reconnect, §4.6). */
  resetContext(): void {
    this.context = undefined;
    this.handshake = undefined;
  }

  /** Reject everything pending; later calls fail. */
  close(): void {
    this.closed = true;
    for (const [id, p] of this.pending) {
      this.clock.clearTimeout(p.timer);
      p.reject(new KmsError('KMS client closed'));
      this.pending.delete(id);
    }
  }

  /**
   * The 32-byte content key at `uri` (`encryptionKeyUrl`). Cached; concurrent calls for one uri share
   * one KMS request. Rejects with `KmsError` (with the KMS `status` when it refused).
   */
  getKey(uri: string): Promise<Buffer> {
    const cached = this.keys.get(uri);
    if (cached) return Promise.resolve(cached);
    const running = this.inflight.get(uri);
    if (running) return running;
    const p = this.retrieve(uri).finally(() => this.inflight.delete(uri));
    this.inflight.set(uri, p);
    return p;
  }

  /** Synchronous cache lookup (the decryptor's fast path). */
  cachedKey(uri: string): Buffer | undefined {
    return this.keys.get(uri);
  }

  /** Feed the `kmsMessages` of an `encryption.kms_message` frame (§4.3). Never throws. */
  handleKmsMessages(messages: readonly unknown[]): void {
    for (const m of messages) {
      this.handleOne(m).catch((err: unknown) => {
        this.log.debug({ err: err instanceof Error ? err.message : String(err) }, 'kms: reply ignored');
      });
    }
  }

  private async handleOne(message: unknown): Promise<void> {
    if (typeof message !== 'string' || message.length > 65_536)
      throw new ProtocolError('KMS reply not a string');
    const dots = message.split('.').length - 1;
    let body: KmsReplyBody;
    if (dots === 2) {
      // JWS: the ECDH reply, or an error when the ephemeral key is unknown (§4.2, §4.5).
      const sk = this.staticKey;
      if (!sk) throw new ProtocolError('JWS before KMS details');
      const { payload, protectedHeader } = await compactVerify(message, sk.key, {
        algorithms: ['RS256', 'RS384', 'RS512', 'PS256'],
      });
      if (protectedHeader.kid !== undefined && protectedHeader.kid !== sk.kid)
        throw new ProtocolError('JWS kid mismatch');
      body = JSON.parse(Buffer.from(payload).toString('utf8')) as KmsReplyBody;
    } else if (dots === 4) {
      const ctx = this.context;
      const parsed = parseCompactJwe(message);
      if (parsed instanceof ProtocolError) throw parsed;
      if (!ctx || (parsed.header.kid !== undefined && parsed.header.kid !== ctx.uri)) {
        throw new ProtocolError('KMS reply for an unknown shared key');
      }
      body = JSON.parse(decryptCompactJwe(message, ctx.key, 'kmsMessage')) as KmsReplyBody;
    } else {
      throw new ProtocolError('KMS reply is neither JWS nor JWE');
    }
    const id = typeof body?.requestId === 'string' ? body.requestId : undefined;
    const p = id === undefined ? undefined : this.pending.get(id);
    if (!p || id === undefined) throw new ProtocolError('KMS reply for no pending request');
    this.pending.delete(id);
    this.clock.clearTimeout(p.timer);
    p.resolve(body);
  }

  private async loadDetails(): Promise<StaticKey> {
    if (this.staticKey) return this.staticKey;
    const base = this.opts.encryptionServiceUrl.replace(/\/+$/, '');
    const { body } = await requestJson<{ kmsCluster?: unknown; rsaPublicKey?: unknown }>(
      this.opts.http,
      'GET',
      `${base}/kms/${encodeURIComponent(this.opts.userId)}`,
    );
    const cluster = assertAllowedUrl(body?.kmsCluster, 'kms:', this.opts.urlPolicy);
    // §4.1: a JSON string (the SDK requires it); tolerate an object as 3R does.
    let jwk: JWK;
    try {
      jwk = (
        typeof body.rsaPublicKey === 'string' ? JSON.parse(body.rsaPublicKey) : body.rsaPublicKey
      ) as JWK;
    } catch (cause) {
      throw new KmsError('KMS static key is not JSON', undefined, { cause });
    }
    checkStaticKey(jwk, this.opts.urlPolicy);
    const key = createPublicKey({
      key: { kty: 'RSA', n: jwk.n as string, e: jwk.e as string },
      format: 'jwk',
    });
    this.cluster = cluster.replace(/\/+$/, '');
    this.staticKey = { kid: jwk.kid as string, jwk, key };
    return this.staticKey;
  }

  private client(): Record<string, unknown> {
    return {
      clientId: this.opts.deviceUrl,
      // §4.2: the raw access token, no "Bearer ".
      credential: { userId: this.opts.userId, bearer: this.opts.http.token },
    };
  }

  private ensureContext(): Promise<SharedContext> {
    const ctx = this.context;
    if (ctx && ctx.expiresAt - this.renewBefore > this.clock.now()) return Promise.resolve(ctx);
    if (!this.handshake) {
      const h = this.doHandshake().then(
        (c) => {
          this.context = c;
          return c;
        },
        (err: unknown) => {
          if (this.handshake === h) this.handshake = undefined;
          throw err;
        },
      );
      this.handshake = h;
    }
    return this.handshake.then((c) => {
      // A handshake finished but is already near expiry (tests with a fake clock): use it once.
      if (this.context === c && c.expiresAt - this.renewBefore <= this.clock.now())
        this.handshake = undefined;
      return c;
    });
  }

  private async doHandshake(): Promise<SharedContext> {
    const sk = await this.loadDetails();
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pub = publicKey.export({ format: 'jwk' });
    const requestId = randomUUID();
    const body = {
      uri: `${this.cluster}/ecdhe`,
      method: 'create',
      jwk: { kty: 'EC', crv: 'P-256', x: pub.x, y: pub.y },
      requestId,
      client: this.client(),
    };
    const rsa = await importJWK({ kty: 'RSA', n: sk.jwk.n, e: sk.jwk.e }, 'RSA-OAEP');
    const jwe = await new CompactEncrypt(Buffer.from(JSON.stringify(body), 'utf8'))
      .setProtectedHeader({ enc: 'A256GCM', alg: 'RSA-OAEP', kid: sk.kid })
      .encrypt(rsa);
    const reply = await this.send(requestId, jwe);
    const key = reply.key;
    const remote = key?.jwk;
    if (!key || typeof key.uri !== 'string' || !remote || remote.kty !== 'EC' || remote.crv !== 'P-256') {
      throw new KmsError('KMS ECDH reply has no P-256 key');
    }
    let z: Buffer;
    try {
      const peer = createPublicKey({
        key: { kty: 'EC', crv: 'P-256', x: remote.x, y: remote.y },
        format: 'jwk',
      });
      z = diffieHellman({ privateKey, publicKey: peer });
    } catch (cause) {
      throw new KmsError('KMS ECDH key is not a valid P-256 point', undefined, { cause });
    }
    // §4.2: HKDF-SHA-256, salt = 32 zero bytes (same as none), info empty, 32 bytes.
    const shared = Buffer.from(hkdfSync('sha256', z, Buffer.alloc(32), Buffer.alloc(0), 32));
    const exp = key.expirationDate ? Date.parse(key.expirationDate) : Number.NaN;
    const expiresAt = Number.isFinite(exp) ? exp : this.clock.now() + 3_600_000;
    this.log.debug({ expiresAt: new Date(expiresAt).toISOString() }, 'kms: shared key negotiated');
    return { uri: key.uri, key: shared, expiresAt };
  }

  private async retrieve(uri: string): Promise<Buffer> {
    const ctx = await this.ensureContext();
    const requestId = randomUUID();
    const body = { method: 'retrieve', uri, requestId, client: this.client() };
    const jwe = encryptCompactJwe(JSON.stringify(body), ctx.key, ctx.uri);
    const reply = await this.send(requestId, jwe);
    const k = reply.key?.jwk?.k;
    const key = Buffer.from(typeof k === 'string' ? k : '', 'base64url');
    if (key.length !== 32) throw new KmsError('KMS reply carries no 256-bit key');
    this.keys.set(uri, key);
    return key;
  }

  private async send(requestId: string, wrapped: string): Promise<KmsReplyBody> {
    if (this.closed) throw new KmsError('KMS client closed');
    if (this.pending.size >= this.maxPending) throw new KmsError('too many KMS requests pending');
    const reply = new Promise<KmsReplyBody>((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        this.pending.delete(requestId);
        reject(new KmsError(`no KMS reply within ${this.requestTimeout} ms`));
      }, this.requestTimeout);
      this.pending.set(requestId, { resolve, reject, timer });
    });
    reply.catch(() => {});
    try {
      await requestJson(
        this.opts.http,
        'POST',
        `${this.opts.encryptionServiceUrl.replace(/\/+$/, '')}/kms/messages`,
        {
          destination: this.cluster,
          kmsMessages: [wrapped],
        },
      );
    } catch (err) {
      const p = this.pending.get(requestId);
      if (p) {
        this.clock.clearTimeout(p.timer);
        this.pending.delete(requestId);
      }
      throw err instanceof KmsError
        ? err
        : new KmsError('KMS request failed', (err as { status?: number }).status, { cause: err });
    }
    const body = await reply;
    const status = typeof body.status === 'number' ? body.status : 0;
    if (status >= 400) {
      const reason = typeof body.reason === 'string' ? body.reason.slice(0, 200) : 'no reason';
      throw new KmsError(`KMS refused the request: ${status} ${reason}`, status);
    }
    return body;
  }
}
