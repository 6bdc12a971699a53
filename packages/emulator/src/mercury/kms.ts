/**
 * The emulator's KMS (docs/protocol.md §4): a static RSA key with a self-signed `x5c`, the ECDH
 * handshake, and `retrieve` of room content keys, replies delivered over Mercury by the caller.
 *
 * Replies are produced per person in request order (§4.3) and always echo `requestId`. Errors are
 * `{status, reason, requestId}` (§4.5), encrypted with the shared key when there is one, else signed
 * with the static key.
 */
import {
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  type KeyObject,
  randomBytes,
  randomUUID,
} from 'node:crypto';
import { CompactSign, compactDecrypt } from 'jose';
import { selfSignedCertificate } from './cert.js';
import { joseHeader, jweDecryptDir, jweEncrypt } from './crypto.js';

export interface KmsFaults {
  /** Refuse every `retrieve` with this status (e.g. 403, 500). */
  refuseStatus?: number | undefined;
  refuseReason?: string | undefined;
  /** Also refuse the ECDH handshake. */
  refuseHandshake?: boolean | undefined;
  /** Delay each reply by this many ms. */
  delayMs?: number | undefined;
}

export interface KmsRequester {
  personId: string;
  /** The token the HTTP request carried; the KMS credential must name the same person. */
  token: string;
}

interface SharedKey {
  uri: string;
  key: Buffer;
  personId: string;
  expiresAt: number;
}

export interface EmulatorKmsOptions {
  /** Host of the `kms://` cluster and key ids (also the certificate's CN/SAN). */
  host: string;
  now: () => number;
  /** Whether `personId` may retrieve `keyUrl`: members of the room it belongs to. */
  keyAccess(personId: string, keyUrl: string): 'member' | 'forbidden' | 'unknown';
  /** Person owning a token, for the credential check. */
  personIdByToken(token: string): string | undefined;
  /** Lifetime of a shared key (ms). Default 1 h (§4.2). */
  sharedKeyTtlMs?: number;
}

/** Sender of replies: one call per reply, in order. */
export type KmsReplySink = (personId: string, replies: string[]) => void;

export class EmulatorKms {
  readonly cluster: string;
  readonly kid: string;
  readonly faults: KmsFaults = {};
  private readonly privateKey: KeyObject;
  private readonly publicJwk: Record<string, unknown>;
  private readonly shared = new Map<string, SharedKey>();
  private readonly contentKeys = new Map<string, Buffer>();
  private readonly queues = new Map<string, Promise<void>>();

  constructor(private readonly opts: EmulatorKmsOptions) {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.privateKey = privateKey;
    this.cluster = `kms://${opts.host}`;
    this.kid = `${this.cluster}/keys/static-rsa`;
    const jwk = publicKey.export({ format: 'jwk' });
    const cert = selfSignedCertificate(opts.host.replace(/^\[|\]$/g, ''), publicKey, privateKey, opts.now());
    // §4.1: no `use`, no `alg`; x5c is standard base64 DER.
    this.publicJwk = { kty: 'RSA', kid: this.kid, n: jwk.n, e: jwk.e, x5c: [cert.toString('base64')] };
  }

  /** `GET {encryption}/kms/{userId}` body (§4.1); `rsaPublicKey` is a JSON string (§4.1). */
  details(): { kmsCluster: string; rsaPublicKey: string } {
    return { kmsCluster: this.cluster, rsaPublicKey: JSON.stringify(this.publicJwk) };
  }

  /** The content key at `keyUrl`, created on first use. */
  contentKey(keyUrl: string): Buffer {
    let k = this.contentKeys.get(keyUrl);
    if (!k) {
      k = randomBytes(32);
      this.contentKeys.set(keyUrl, k);
    }
    return k;
  }

  reset(): void {
    this.shared.clear();
    this.contentKeys.clear();
    this.queues.clear();
    for (const k of Object.keys(this.faults)) delete this.faults[k as keyof KmsFaults];
  }

  /**
   * Handle the `kmsMessages` of one POST. Replies go to `sink` after those of earlier POSTs by the
   * same person, one reply per message, in order.
   */
  submit(requester: KmsRequester, messages: string[], sink: KmsReplySink): void {
    const prev = this.queues.get(requester.personId) ?? Promise.resolve();
    const next = prev.then(async () => {
      const replies: string[] = [];
      for (const m of messages) replies.push(await this.handle(requester, m));
      const delay = this.faults.delayMs ?? 0;
      if (delay > 0) await new Promise((r) => setTimeout(r, delay));
      sink(requester.personId, replies);
    });
    const settled = next.catch(() => {});
    this.queues.set(requester.personId, settled);
  }

  private async handle(requester: KmsRequester, message: string): Promise<string> {
    const header = joseHeader(message);
    if (!header) return this.signed({ status: 400, reason: 'malformed KMS message', requestId: '' });
    if (header.alg === 'RSA-OAEP' || header.alg === 'RSA-OAEP-256') {
      let body: Record<string, unknown>;
      try {
        const { plaintext } = await compactDecrypt(message, this.privateKey, {
          keyManagementAlgorithms: ['RSA-OAEP', 'RSA-OAEP-256'],
          contentEncryptionAlgorithms: ['A256GCM'],
        });
        body = JSON.parse(Buffer.from(plaintext).toString('utf8')) as Record<string, unknown>;
      } catch {
        return this.signed({ status: 400, reason: 'cannot decrypt request', requestId: '' });
      }
      return this.ecdhe(requester, body);
    }
    if (header.alg === 'dir') {
      const ctx = typeof header.kid === 'string' ? this.shared.get(header.kid) : undefined;
      if (!ctx || ctx.expiresAt <= this.opts.now() || ctx.personId !== requester.personId) {
        // §4.5: unknown or expired ephemeral key → a JWS signed by the static key.
        return this.signed({ status: 401, reason: 'unknown or expired ephemeral key', requestId: '' });
      }
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(jweDecryptDir(message, ctx.key)) as Record<string, unknown>;
      } catch {
        return this.signed({ status: 400, reason: 'cannot decrypt request', requestId: '' });
      }
      return jweEncrypt(JSON.stringify(this.keyRequest(requester, body)), ctx.key, ctx.uri);
    }
    return this.signed({ status: 400, reason: 'unsupported algorithm', requestId: '' });
  }

  private credentialOk(requester: KmsRequester, body: Record<string, unknown>): boolean {
    const client = body.client as { credential?: { bearer?: unknown } } | undefined;
    const bearer = client?.credential?.bearer;
    return typeof bearer === 'string' && this.opts.personIdByToken(bearer) === requester.personId;
  }

  private async ecdhe(requester: KmsRequester, body: Record<string, unknown>): Promise<string> {
    const requestId = typeof body.requestId === 'string' ? body.requestId : '';
    // §4.2: `<cluster>/ecdhe` or bare `/ecdhe`.
    if (body.method !== 'create' || typeof body.uri !== 'string' || !body.uri.endsWith('/ecdhe')) {
      return this.signed({ status: 400, reason: 'expected an ECDHE create', requestId });
    }
    if (!this.credentialOk(requester, body))
      return this.signed({ status: 401, reason: 'bad credential', requestId });
    if (this.faults.refuseHandshake && this.faults.refuseStatus) {
      return this.signed({
        status: this.faults.refuseStatus,
        reason: this.faults.refuseReason ?? 'refused',
        requestId,
      });
    }
    const jwk = body.jwk as Record<string, unknown> | undefined;
    let z: Buffer;
    let serverPub: Record<string, unknown>;
    try {
      if (jwk?.kty !== 'EC' || jwk.crv !== 'P-256') throw new Error('not P-256');
      const peer = createPublicKey({
        key: { kty: 'EC', crv: 'P-256', x: String(jwk.x), y: String(jwk.y) },
        format: 'jwk',
      });
      const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      z = diffieHellman({ privateKey: pair.privateKey, publicKey: peer });
      const p = pair.publicKey.export({ format: 'jwk' });
      serverPub = { kty: 'EC', crv: 'P-256', x: p.x, y: p.y };
    } catch {
      return this.signed({ status: 400, reason: 'bad ECDH key', requestId });
    }
    // §4.2: HKDF-SHA-256, zero salt, empty info, 32 bytes.
    const key = Buffer.from(hkdfSync('sha256', z, Buffer.alloc(32), Buffer.alloc(0), 32));
    const now = this.opts.now();
    const expiresAt = now + (this.opts.sharedKeyTtlMs ?? 3_600_000);
    const uri = `${this.cluster}/ecdhe/${randomUUID()}`;
    this.shared.set(uri, { uri, key, personId: requester.personId, expiresAt });
    const client = (body.client ?? {}) as { clientId?: unknown };
    return this.signed({
      status: 201,
      requestId,
      key: {
        uri,
        jwk: serverPub,
        userId: requester.personId,
        clientId: typeof client.clientId === 'string' ? client.clientId : '',
        createDate: new Date(now).toISOString(),
        expirationDate: new Date(expiresAt).toISOString(),
      },
    });
  }

  private keyRequest(requester: KmsRequester, body: Record<string, unknown>): Record<string, unknown> {
    const requestId = typeof body.requestId === 'string' ? body.requestId : '';
    if (!this.credentialOk(requester, body)) return { status: 401, reason: 'bad credential', requestId };
    if (body.method !== 'retrieve' || typeof body.uri !== 'string') {
      return { status: 400, reason: 'only retrieve is supported', requestId };
    }
    if (this.faults.refuseStatus) {
      return { status: this.faults.refuseStatus, reason: this.faults.refuseReason ?? 'refused', requestId };
    }
    const uri = body.uri;
    const access = this.opts.keyAccess(requester.personId, uri);
    if (access === 'unknown') return { status: 404, reason: 'key not found', requestId };
    if (access === 'forbidden') return { status: 403, reason: 'not authorized for this key', requestId };
    const now = new Date(this.opts.now()).toISOString();
    return {
      status: 200,
      requestId,
      key: {
        uri,
        jwk: { kty: 'oct', kid: uri, k: this.contentKey(uri).toString('base64url') },
        userId: requester.personId,
        clientId: '',
        createDate: now,
        bindDate: now,
        expirationDate: new Date(this.opts.now() + 365 * 86_400_000).toISOString(),
        resourceUri: uri.replace('/keys/', '/resources/'),
      },
    };
  }

  private async signed(body: Record<string, unknown>): Promise<string> {
    return new CompactSign(Buffer.from(JSON.stringify(body), 'utf8'))
      .setProtectedHeader({ alg: 'RS256', kid: this.kid })
      .sign(this.privateKey);
  }
}
