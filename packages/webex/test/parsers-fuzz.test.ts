/**
 * Fuzzing of the parsers that take outside input and had no property test yet (frames, JWE fields
 * and webhook bodies have theirs in mercury-units / webhook-receiver): id decoding, activities →
 * events, KMS replies over Mercury, and REST answers of any shape. Fixed seeds (printed by
 * fast-check on failure) and bounded runs keep the set to a few seconds.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { EmulatorKms } from '../../emulator/src/mercury/kms.js';
import { HeraldError } from '../src/errors.js';
import { decodeId, encodeId, idToUuid } from '../src/ids.js';
import { activityToEvents } from '../src/mercury/activity.js';
import type { FetchLike } from '../src/mercury/http.js';
import { decryptCompactJwe, encryptCompactJwe } from '../src/mercury/jwe.js';
import type { KmsClient } from '../src/mercury/kms.js';
import type { Activity } from '../src/mercury/types.js';
import { WebexClient } from '../src/rest/client.js';
import { testKmsClient } from './mercury-kms-harness.js';

const SEED = 20260723;

describe('ids', () => {
  it('property: decodeId never throws; idToUuid throws only HeraldError (fixed seed)', () => {
    const idish = fc.oneof(
      fc.string({ maxLength: 600 }),
      fc.base64String({ maxLength: 200 }),
      fc.string({ maxLength: 120 }).map((s) => Buffer.from(`ciscospark://${s}`).toString('base64url')),
      fc.anything() as fc.Arbitrary<unknown>,
    );
    fc.assert(
      fc.property(idish, (id) => {
        const d = decodeId(id as string);
        assert.ok(d === undefined || (typeof d.uuid === 'string' && d.uuid.length > 0));
        try {
          idToUuid(id as string, 'ROOM');
        } catch (err) {
          assert.ok(err instanceof HeraldError, String(err));
        }
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });

  it('property: encode then decode gives back type, cluster and uuid (fixed seed)', () => {
    const word = fc.stringMatching(/^[A-Za-z0-9_-]{1,20}$/);
    fc.assert(
      fc.property(word, fc.uuid(), word, (type, uuid, cluster) => {
        assert.deepEqual(decodeId(encodeId(type, uuid, cluster)), { cluster, type, uuid });
      }),
      { seed: SEED, numRuns: 500 },
    );
  });
});

describe('activities → events', () => {
  it('property: activityToEvents never throws and only yields typed events (fixed seed)', () => {
    const person = fc.record(
      {
        id: fc.oneof(fc.uuid(), fc.string()),
        entryUUID: fc.oneof(fc.uuid(), fc.anything()),
        emailAddress: fc.anything(),
      },
      { requiredKeys: [] },
    );
    const activity = fc.record(
      {
        id: fc.oneof(fc.uuid(), fc.anything()),
        verb: fc.constantFrom(
          'post',
          'share',
          'add',
          'leave',
          'update',
          'delete',
          'cardAction',
          'assignModerator',
          'x',
        ),
        objectType: fc.constantFrom('activity', 'comment', 'content', 'submit'),
        published: fc.oneof(
          fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
          fc.string(),
          fc.anything(),
        ),
        actor: fc.oneof(person, fc.anything()),
        object: fc.oneof(
          fc.record(
            {
              id: fc.oneof(fc.uuid(), fc.anything()),
              objectType: fc.constantFrom('comment', 'content', 'person', 'submit', 'conversation'),
              displayName: fc.anything(),
              content: fc.oneof(
                fc.string(),
                fc.constant('<spark-mention data-object-type="person" data-object-id="x">@x</spark-mention>'),
                fc.anything(),
              ),
              mentions: fc.oneof(fc.record({ items: fc.anything() }), fc.anything()),
              groupMentions: fc.oneof(fc.record({ items: fc.anything() }), fc.anything()),
              tags: fc.anything(),
              files: fc.anything(),
              inputs: fc.anything(),
              entryUUID: fc.anything(),
            },
            { requiredKeys: [] },
          ),
          fc.anything(),
        ),
        target: fc.oneof(
          fc.record(
            { id: fc.oneof(fc.uuid(), fc.anything()), tags: fc.anything(), objectType: fc.anything() },
            { requiredKeys: [] },
          ),
          fc.anything(),
        ),
        parent: fc.anything(),
        encryptionKeyUrl: fc.anything(),
      },
      { requiredKeys: [] },
    );
    // A well-formed message or room skeleton whose other fields are junk: reaches the deep paths.
    const skeleton = fc
      .tuple(
        fc.constantFrom('post', 'share', 'create', 'add', 'update'),
        fc.uuid(),
        fc.uuid(),
        fc.uuid(),
        activity,
      )
      .map(([verb, id, actor, room, junk]) => {
        const object = (junk.object && typeof junk.object === 'object' ? junk.object : {}) as Record<
          string,
          unknown
        >;
        return {
          ...junk,
          verb,
          id,
          actor: { id: actor },
          target: { id: room, tags: (junk.target as { tags?: unknown } | undefined)?.tags },
          object: {
            ...object,
            id: room,
            objectType: verb === 'share' ? 'content' : verb === 'post' ? 'comment' : 'conversation',
            participants: { items: object.inputs },
            cards: object.entryUUID,
          },
        };
      });
    fc.assert(
      // The receiver hands over objects only (receiver.ts drops a non-object `activity`).
      fc.property(fc.oneof(activity, skeleton, fc.object()), (a) => {
        const events = activityToEvents(a as Activity, {
          restBase: 'https://webexapis.com/v1',
          receivedAt: new Date(0).toISOString(),
        });
        assert.ok(Array.isArray(events));
        for (const e of events) assert.equal(typeof e.type, 'string');
      }),
      { seed: SEED, numRuns: 3000 },
    );
  });
});

describe('KMS replies', () => {
  const TOKEN = 'fuzz_token';
  const USER = randomUUID();
  const ROOM_KEY = 'kms://kms.example.test/keys/room-1';

  /** A KmsClient with a real handshake against the emulator's KMS, then replies we write ourselves. */
  async function fuzzClient() {
    const kms = new EmulatorKms({
      host: 'kms.example.test',
      now: Date.now,
      personIdByToken: (t) => (t === TOKEN ? USER : undefined),
      keyAccess: () => 'member',
    });
    let client: KmsClient | undefined;
    let forge: ((requestId: string) => unknown) | undefined;
    const fetch: FetchLike = async (url, init) => {
      const u = new URL(url);
      const respond = (status: number, body: unknown) => ({
        status,
        headers: { get: () => null },
        text: async () => (body === undefined ? '' : JSON.stringify(body)),
      });
      if (init.method === 'GET' && u.pathname === `/encryption/api/v1/kms/${USER}`)
        return respond(200, kms.details());
      const body = JSON.parse(String(init.body ?? '{}')) as { kmsMessages: string[] };
      const ctx = (client as unknown as { context?: { uri: string; key: Buffer } }).context;
      if (forge && ctx) {
        // Answer the request with a forged body under the shared key: only the requestId is right.
        const request = JSON.parse(decryptCompactJwe(body.kmsMessages[0], ctx.key)) as { requestId: string };
        const reply = forge(request.requestId);
        queueMicrotask(() =>
          client?.handleKmsMessages([encryptCompactJwe(JSON.stringify(reply), ctx.key, ctx.uri)]),
        );
      } else {
        kms.submit({ personId: USER, token: TOKEN }, body.kmsMessages, (_p, replies) =>
          client?.handleKmsMessages(replies),
        );
      }
      return respond(202, undefined);
    };
    client = testKmsClient(TOKEN, USER, fetch, 2000, { requestTimeout: 1000 });
    await client.initialize();
    return { client, setForge: (f: typeof forge) => (forge = f) };
  }

  it('property: junk in encryption.kms_message frames is ignored, never thrown (fixed seed)', async () => {
    const { client } = await fuzzClient();
    const junk = fc.oneof(
      fc.anything(),
      fc.string({ maxLength: 300 }),
      fc.array(fc.base64String({ maxLength: 60 }), { minLength: 3, maxLength: 3 }).map((p) => p.join('.')),
      fc.array(fc.base64String({ maxLength: 60 }), { minLength: 5, maxLength: 5 }).map((p) => p.join('.')),
    );
    fc.assert(
      fc.property(fc.array(junk, { maxLength: 5 }), (messages) => {
        client.handleKmsMessages(messages);
      }),
      { seed: SEED, numRuns: 500 },
    );
    // Still works afterwards.
    assert.equal((await client.getKey(ROOM_KEY)).length, 32);
    client.close();
  });

  it('property: a forged reply to a key request resolves a 32-byte key or rejects with a HeraldError (fixed seed)', async () => {
    const { client, setForge } = await fuzzClient();
    const body = fc.record(
      {
        status: fc.oneof(fc.constantFrom(200, 201, 400, 403, 404, 500), fc.anything()),
        reason: fc.anything(),
        key: fc.oneof(
          fc.record(
            {
              uri: fc.oneof(fc.constant(ROOM_KEY), fc.anything()),
              jwk: fc.oneof(
                fc.record(
                  { kty: fc.constantFrom('oct', 'RSA', 'EC'), k: fc.oneof(fc.base64String(), fc.anything()) },
                  { requiredKeys: [] },
                ),
                fc.anything(),
              ),
              expirationDate: fc.anything(),
            },
            { requiredKeys: [] },
          ),
          fc.anything(),
        ),
        keys: fc.anything(),
      },
      { requiredKeys: [] },
    );
    let n = 0;
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        setForge((requestId) => ({ ...(b as object), requestId }));
        try {
          const key = await client.getKey(`${ROOM_KEY}-${n++}`);
          assert.ok(Buffer.isBuffer(key) && key.length === 32, 'a key is 32 bytes');
        } catch (err) {
          assert.ok(err instanceof HeraldError, `not a HeraldError: ${String(err)}`);
        }
      }),
      { seed: SEED, numRuns: 150 },
    );
    client.close();
  });
});

describe('REST answers of any shape', () => {
  let server: Server;
  let base: string;
  let next: { status: number; headers: Record<string, string>; body: Buffer } = {
    status: 200,
    headers: {},
    body: Buffer.alloc(0),
  };
  before(async () => {
    server = createServer((req, res) => {
      req.resume();
      try {
        res.writeHead(next.status, next.headers);
      } catch {
        res.writeHead(next.status);
      }
      res.end(next.body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it('property: every call resolves or rejects with a HeraldError, within its time limit (fixed seed)', async () => {
    const client = new WebexClient({
      token: 'fuzz',
      baseUrl: base,
      timeoutMs: 2000,
      retry: { attempts: 2, maxWaitS: 0, base: 1, cap: 1 },
      sleep: async () => {},
    });
    const headerName = fc.constantFrom(
      'content-type',
      'retry-after',
      'link',
      'trackingid',
      'content-length',
      'x-other',
    );
    const headerValue = fc.oneof(
      fc.constantFrom(
        'application/json',
        'text/html',
        '0',
        '1',
        '-5',
        '99999999999',
        'abc',
        '<http://127.0.0.1:1/v1/x>; rel="next"',
      ),
      fc.stringMatching(/^[\x20-\x7e]{0,40}$/),
    );
    const body = fc.oneof(
      fc.json().map((j) => Buffer.from(j)),
      fc.jsonValue().map((v) => Buffer.from(JSON.stringify({ items: v, message: v, errors: v }))),
      fc.uint8Array({ maxLength: 2000 }).map((a) => Buffer.from(a)),
      fc.string().map((s) => Buffer.from(s)),
    );
    const status = fc.oneof(
      fc.constantFrom(200, 204, 400, 401, 404, 409, 423, 429, 500, 503),
      fc.integer({ min: 200, max: 599 }),
    );
    const call = fc.constantFrom('people.get', 'rooms.list', 'messages.create');
    await fc.assert(
      fc.asyncProperty(
        status,
        fc.dictionary(headerName, headerValue, { maxKeys: 4 }),
        body,
        call,
        async (s, h, b, c) => {
          const headers = { ...h };
          // node:http refuses a body on 204/304, and a wrong content-length would desync the socket.
          delete headers['content-length'];
          next = { status: s, headers, body: s === 204 || s === 304 ? Buffer.alloc(0) : b };
          try {
            if (c === 'people.get') await client.people.get('Y2lzY29zcGFyazovL3VzL1BFT1BMRS8x');
            else if (c === 'rooms.list') await client.rooms.list({ max: 10 }).toArray(30);
            else await client.messages.create({ roomId: 'Y2lzY29zcGFyazovL3VzL1JPT00vMQ', text: 'x' });
          } catch (err) {
            assert.ok(err instanceof HeraldError, `not a HeraldError: ${String(err)}`);
          }
        },
      ),
      { seed: SEED, numRuns: 300 },
    );
  });
});
