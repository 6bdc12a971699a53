import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { CompactEncrypt, compactDecrypt } from 'jose';
import { DecryptionError, ProtocolError } from '../src/errors.js';
import { LoopGuard } from '../src/guard.js';
import type { Clock } from '../src/mercury/clock.js';
import { MessageDecryptor } from '../src/mercury/decrypt.js';
import { parseFrame } from '../src/mercury/frames.js';
import {
  DIR_A256GCM_HEADER_B64,
  decryptCompactJwe,
  decryptParsed,
  encryptCompactJwe,
  parseCompactJwe,
} from '../src/mercury/jwe.js';
import { MercurySocket, type MercurySocketOptions, type WebSocketLike } from '../src/mercury/socket.js';
import { assertAllowedUrl, compileUrlPolicy } from '../src/mercury/urls.js';
import { backoff } from '../src/retry.js';

const KEY = Buffer.from('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', 'hex');

describe('JWE fast path, checked against jose', () => {
  it('decrypts what jose encrypts (dir/A256GCM, the Webex field header)', async () => {
    for (const text of ['', 'hello', 'héllo ✓ <p>x</p>', 'x'.repeat(7000)]) {
      const jwe = await new CompactEncrypt(Buffer.from(text))
        .setProtectedHeader({ enc: 'A256GCM', alg: 'dir' })
        .encrypt(KEY);
      assert.equal(jwe.split('.')[0], DIR_A256GCM_HEADER_B64);
      assert.equal(decryptCompactJwe(jwe, KEY), text);
    }
  });

  it('jose decrypts what we encrypt, with and without kid', async () => {
    for (const kid of [undefined, 'kms://kms.example/ecdhe/1']) {
      const jwe = encryptCompactJwe('round trip', KEY, kid);
      const { plaintext, protectedHeader } = await compactDecrypt(jwe, KEY);
      assert.equal(Buffer.from(plaintext).toString(), 'round trip');
      assert.equal(protectedHeader.kid, kid);
    }
  });

  it('decrypts A256KW (AES key wrap) JWEs from jose', async () => {
    const jwe = await new CompactEncrypt(Buffer.from('wrapped'))
      .setProtectedHeader({ enc: 'A256GCM', alg: 'A256KW' })
      .encrypt(KEY);
    assert.equal(decryptCompactJwe(jwe, KEY), 'wrapped');
  });

  it('fails with DecryptionError on a wrong key or a changed byte, never returning ciphertext', () => {
    const jwe = encryptCompactJwe('secret', KEY);
    assert.throws(
      () => decryptCompactJwe(jwe, randomBytes(32), 'displayName'),
      (e: unknown) => e instanceof DecryptionError && e.message === 'decryption failed for field displayName',
    );
    // Every part of the fast path's input matters: IV, ciphertext, tag, header, the empty key part.
    for (const [i, change] of [
      [2, (p: string) => `${p.slice(0, -1)}${p.endsWith('A') ? 'B' : 'A'}`],
      [3, (p: string) => `${p.startsWith('A') ? 'B' : 'A'}${p.slice(1)}`],
      [4, (p: string) => `${p.slice(0, -2)}${p.endsWith('AA') ? 'BA' : 'AA'}`],
      [4, (p: string) => p.slice(1)],
      [1, () => 'AAAA'],
      [0, () => Buffer.from('{"alg":"dir","enc":"A256GCM"}').toString('base64url')],
    ] as const) {
      const parts = jwe.split('.');
      parts[i] = change(parts[i] ?? '');
      assert.throws(() => decryptCompactJwe(parts.join('.'), KEY), DecryptionError, `part ${i}`);
    }
  });

  it('fast path and general path agree with jose on the same vectors (fixed seed)', async () => {
    const texts = fc.sample(fc.string({ unit: 'binary', maxLength: 300 }), { seed: 7, numRuns: 200 });
    for (const text of texts) {
      const jwe = await new CompactEncrypt(Buffer.from(text, 'utf8'))
        .setProtectedHeader({ enc: 'A256GCM', alg: 'dir' })
        .encrypt(KEY);
      const expected = Buffer.from((await compactDecrypt(jwe, KEY)).plaintext).toString('utf8');
      assert.equal(decryptCompactJwe(jwe, KEY), expected, 'fast path');
      const parsed = parseCompactJwe(jwe);
      assert.ok(!(parsed instanceof ProtocolError));
      assert.equal(decryptParsed(parsed, KEY).toString('utf8'), expected, 'general path');
    }
  });

  it('parser rejects what it does not support', () => {
    assert.ok(parseCompactJwe('a.b.c') instanceof ProtocolError);
    const zip = Buffer.from(JSON.stringify({ alg: 'dir', enc: 'A256GCM', zip: 'DEF' })).toString('base64url');
    assert.ok(parseCompactJwe(`${zip}..AAAAAAAAAAAAAAAA.AA.AAAAAAAAAAAAAAAAAAAAAA`) instanceof ProtocolError);
    const cbc = Buffer.from(JSON.stringify({ alg: 'dir', enc: 'A128CBC-HS256' })).toString('base64url');
    assert.ok(parseCompactJwe(`${cbc}..AAAAAAAAAAAAAAAA.AA.AAAAAAAAAAAAAAAAAAAAAA`) instanceof ProtocolError);
  });

  it('property: parser and decryptor never throw anything but DecryptionError (fixed seed)', () => {
    const jweish = fc.oneof(
      fc.string(),
      fc.array(fc.string({ maxLength: 30 }), { minLength: 5, maxLength: 5 }).map((p) => p.join('.')),
      fc
        .array(fc.base64String({ maxLength: 40 }), { minLength: 5, maxLength: 5 })
        .map((p) => [DIR_A256GCM_HEADER_B64, ...p.slice(1)].join('.')),
      fc.anything(),
    );
    fc.assert(
      fc.property(jweish, (input) => {
        const parsed = parseCompactJwe(input);
        assert.ok(parsed instanceof ProtocolError || typeof parsed === 'object');
        try {
          decryptCompactJwe(input, KEY);
        } catch (e) {
          assert.ok(e instanceof DecryptionError);
        }
      }),
      { seed: 20260720, numRuns: 2000 },
    );
  });
});

describe('MessageDecryptor', () => {
  it('decryptCached: synchronous with cached keys, undefined without, same result as decryptActivity', async () => {
    const cache = new Map<string, Buffer>();
    const d = new MessageDecryptor({ getKey: async () => KEY, cachedKey: (u) => cache.get(u) });
    const activity = {
      encryptionKeyUrl: 'kms://k/keys/1',
      object: { displayName: encryptCompactJwe('hi', KEY), content: encryptCompactJwe('<b>hi</b>', KEY) },
    };
    assert.equal(d.decryptCached(activity), undefined, 'key not cached');
    cache.set('kms://k/keys/1', KEY);
    const sync = d.decryptCached(activity);
    assert.deepEqual(sync, await d.decryptActivity(activity));
    assert.equal(sync?.object?.displayName, 'hi');
    assert.notEqual(sync?.object, activity.object, 'a copy; the input is not changed');
    assert.match(activity.object.displayName, /^eyJ/);
    const plain = { verb: 'delete', object: { id: 'x', objectType: 'activity' } };
    assert.equal(d.decryptCached(plain), plain, 'nothing encrypted, no key needed');
  });

  it("a file's own encryptionKeyUrl overrides the activity's (docs/protocol.md §5.3)", async () => {
    const fileKey = randomBytes(32);
    const keys = new Map([
      ['kms://k/keys/room', KEY],
      ['kms://k/keys/file', fileKey],
    ]);
    const asked: string[] = [];
    const d = new MessageDecryptor({
      getKey: async (u) => {
        asked.push(u);
        const k = keys.get(u);
        if (!k) throw new Error('no such key');
        return k;
      },
    });
    const out = await d.decryptActivity({
      encryptionKeyUrl: 'kms://k/keys/room',
      object: {
        objectType: 'content',
        displayName: encryptCompactJwe('a file', KEY),
        files: {
          items: [
            {
              encryptionKeyUrl: 'kms://k/keys/file',
              displayName: encryptCompactJwe('own.txt', fileKey),
              scr: encryptCompactJwe('{"loc":"x"}', fileKey),
            },
            { displayName: encryptCompactJwe('room.txt', KEY) },
          ],
        },
      },
    });
    assert.equal(out.object?.displayName, 'a file');
    assert.deepEqual(
      out.object?.files?.items?.map((f) => [f.displayName, f.scr]),
      [
        ['own.txt', '{"loc":"x"}'],
        ['room.txt', undefined],
      ],
    );
    assert.deepEqual(asked.sort(), ['kms://k/keys/file', 'kms://k/keys/room']);
  });

  it('a field that fails makes the activity fail; nothing is passed on as text', async () => {
    const other = randomBytes(32);
    const d = new MessageDecryptor({ getKey: async () => KEY });
    const ok = await d.decryptActivity({
      encryptionKeyUrl: 'kms://k/keys/1',
      object: { displayName: encryptCompactJwe('hi', KEY), content: encryptCompactJwe('<b>hi</b>', KEY) },
    });
    assert.equal(ok.object?.displayName, 'hi');
    assert.equal(ok.object?.content, '<b>hi</b>');
    await assert.rejects(
      d.decryptActivity({
        encryptionKeyUrl: 'kms://k/keys/1',
        object: { displayName: encryptCompactJwe('hi', KEY), content: encryptCompactJwe('x', other) },
      }),
      DecryptionError,
    );
    await assert.rejects(
      d.decryptActivity({ object: { displayName: encryptCompactJwe('hi', KEY) } }),
      DecryptionError,
    );
  });
});

describe('frame parser', () => {
  it('parses the frames of §3', () => {
    assert.deepEqual(parseFrame('{"id":"1","type":"pong"}'), { kind: 'pong', id: '1' });
    assert.deepEqual(parseFrame(Buffer.from('{"type":"shutdown"}')), { kind: 'shutdown' });
    const f = parseFrame(
      '{"id":"e","data":{"eventType":"conversation.activity"},"sequenceNumber":3,"timestamp":5,"trackingId":"t"}',
    );
    assert.ok(
      !(f instanceof ProtocolError) &&
        f.kind === 'event' &&
        f.sequenceNumber === 3 &&
        f.eventType === 'conversation.activity',
    );
    assert.ok(parseFrame('{"type":"pong"}') instanceof ProtocolError);
    assert.ok(parseFrame('[]') instanceof ProtocolError);
    assert.ok(parseFrame('x'.repeat(2 << 20)) instanceof ProtocolError);
  });

  it('property: never throws on arbitrary input (fixed seed)', () => {
    const input = fc.oneof(
      fc.string(),
      fc.uint8Array().map((a) => Buffer.from(a)),
      fc.json(),
      fc.anything(),
      fc
        .record({ id: fc.anything(), type: fc.anything(), data: fc.anything() })
        .map((o) => JSON.stringify(o)),
    );
    fc.assert(
      fc.property(input, (i) => {
        const r = parseFrame(i);
        assert.ok(r instanceof ProtocolError || ['pong', 'shutdown', 'event'].includes(r.kind));
      }),
      { seed: 20260720, numRuns: 3000 },
    );
  });
});

describe('URL allow-list', () => {
  it('allows Webex domains with the right scheme and configured origins only', () => {
    const p = compileUrlPolicy(['http://127.0.0.1:8787']);
    assert.equal(
      assertAllowedUrl('wss://mercury-connection-a.wbx2.com/x', 'wss:', p),
      'wss://mercury-connection-a.wbx2.com/x',
    );
    assert.ok(assertAllowedUrl('ws://127.0.0.1:8787/mercury', 'wss:', p));
    assert.ok(assertAllowedUrl('kms://kms-cisco.wbx2.com', 'kms:', p));
    for (const bad of [
      'ws://mercury.wbx2.com/x',
      'wss://evil.com/x',
      'wss://wbx2.com.evil.com/',
      'https://user:pw@wdm.wbx2.com/',
      'wss://127.0.0.1:9999/',
    ]) {
      assert.throws(
        () => assertAllowedUrl(bad, 'wss:', p),
        (e: unknown) => (e as { code?: string }).code === 'HERALD_URL_NOT_ALLOWED',
      );
    }
  });
});

/** Timers advanced by hand. */
class FakeClock implements Clock {
  t = 0;
  private timers: Array<{ at: number; fn: () => void; id: number }> = [];
  private seq = 0;
  now = () => this.t;
  setTimeout = (fn: () => void, ms: number) => {
    const id = ++this.seq;
    this.timers.push({ at: this.t + ms, fn, id });
    return id;
  };
  clearTimeout = (h: unknown) => {
    this.timers = this.timers.filter((x) => x.id !== h);
  };
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    const flush = async () => {
      for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
    };
    await flush();
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at || a.id - b.id);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.t = next.at;
      next.fn();
      await flush();
    }
    this.t = end;
    await flush();
  }
}

/** A scripted server: each socket either authorizes (ready) or closes with a code. */
function fakeSockets(script: () => 'ok' | number) {
  const opened: Array<{ ws: WebSocketLike; sent: string[] }> = [];
  const factory = () => {
    const sent: string[] = [];
    const ws: WebSocketLike = {
      onopen: null,
      onmessage: null,
      onclose: null,
      onerror: null,
      send: (d) => {
        sent.push(d);
        const f = JSON.parse(d) as { type: string; id: string };
        if (f.type === 'authorization') {
          const r = script();
          setImmediate(() => {
            if (r === 'ok')
              ws.onmessage?.({ data: '{"id":"b","data":{"eventType":"mercury.buffer_state"}}' });
            else ws.onclose?.({ code: r, reason: '' });
          });
        }
        if (f.type === 'ping')
          setImmediate(() => ws.onmessage?.({ data: JSON.stringify({ id: f.id, type: 'pong' }) }));
      },
      close: () => {},
    };
    opened.push({ ws, sent });
    setImmediate(() => ws.onopen?.({}));
    return ws;
  };
  return { factory, opened };
}

/** A socket on fake sockets that always open, connected, with pings out of the way. */
async function connectedSocket(
  options: Partial<MercurySocketOptions> = {},
  onCreated?: (s: MercurySocket) => void,
) {
  const clock = new FakeClock();
  const { factory, opened } = fakeSockets(() => 'ok');
  const s = new MercurySocket({
    url: 'wss://m.wbx2.com/x',
    token: 't',
    clock,
    webSocketFactory: factory,
    pingInterval: 1e9,
    ...options,
  });
  onCreated?.(s);
  const c = s.connect();
  await clock.advance(0);
  await c;
  return { clock, opened, s };
}

describe('backoff and reconnection (injected clock, no real sleeping)', () => {
  it('delays double from 1 s up to the maximum; jitter draws below the exact wait', () => {
    const p = { base: 1000, cap: 32_000, factor: 2, jitter: 0 };
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 7, 10].map((n) => backoff(p, n)),
      [1000, 2000, 4000, 8000, 16000, 32000, 32000, 32000],
    );
    assert.equal(backoff({ ...p, cap: 5000 }, 4), 5000);
    assert.equal(backoff({ ...p, factor: 3 }, 3), 9000);
    assert.equal(
      backoff({ ...p, jitter: 0.5 }, 2, () => 1),
      1000,
    );
    assert.equal(
      backoff({ ...p, jitter: 0.5 }, 2, () => 0),
      2000,
    );
  });

  it('reconnects with growing delays and gives up after maxAttempts consecutive failures', async () => {
    const clock = new FakeClock();
    let first = true;
    const { factory, opened } = fakeSockets(() => {
      if (!first) return 1011;
      first = false;
      return 'ok';
    });
    const s = new MercurySocket({
      url: 'wss://m.wbx2.com/x',
      token: 't',
      clock,
      webSocketFactory: factory,
      reconnect: { attempts: 4 },
    });
    const delays: number[] = [];
    let gaveUp: string | undefined;
    s.on('reconnecting', (r) => delays.push(r.delay));
    s.on('disconnected', (d) => {
      gaveUp = d.reason;
    });
    s.on('error', () => {});
    const c = s.connect();
    await clock.advance(0);
    await c;
    opened[0]?.ws.onclose?.({ code: 1006, reason: '' });
    await clock.advance(100_000);
    assert.deepEqual(delays, [1000, 2000, 4000, 8000]);
    assert.equal(gaveUp, 'max-attempts-exceeded');
    assert.equal(opened.length, 5);
  });

  it('an event frame is ACKed when its receiver says it was handled, not on arrival; once', async () => {
    const acks: Array<() => void> = [];
    const { opened, s } = await connectedSocket({}, (socket) =>
      socket.on('frame', (_frame, ack) => acks.push(ack)),
    );
    const sent = opened[0]!.sent;
    const ackFrames = () => sent.filter((d) => (JSON.parse(d) as { type: string }).type === 'ack');
    const before = ackFrames().length; // buffer_state, acknowledged at once
    opened[0]!.ws.onmessage?.({
      data: JSON.stringify({
        id: 'e1',
        sequenceNumber: 2,
        data: { eventType: 'conversation.activity', activity: {} },
      }),
    });
    assert.equal(acks.length, 1);
    assert.equal(ackFrames().length, before, 'not ACKed on arrival');
    acks[0]!();
    acks[0]!();
    assert.deepEqual(
      ackFrames()
        .slice(before)
        .map((d) => JSON.parse(d)),
      [{ messageId: 'e1', type: 'ack' }],
    );
    s.disconnect();
  });

  it('counts failures across flaps inside the stability window, resets after it', async () => {
    const { clock, opened, s } = await connectedSocket({ stabilityWindow: 60_000 });
    for (let i = 0; i < 3; i++) {
      opened.at(-1)?.ws.onclose?.({ code: 1006, reason: '' });
      await clock.advance(20_000);
    }
    assert.equal(s.reconnectAttempts, 3, 'flapping keeps counting');
    await clock.advance(60_000);
    assert.equal(s.reconnectAttempts, 0, 'stable for the window: reset');
    s.disconnect();
  });

  it('pings every pingInterval and reconnects when a pong does not come', async () => {
    const clock = new FakeClock();
    const { factory, opened } = fakeSockets(() => 'ok');
    const s = new MercurySocket({ url: 'wss://m.wbx2.com/x', token: 't', clock, webSocketFactory: factory });
    const c = s.connect();
    await clock.advance(0);
    await c;
    await clock.advance(15_000);
    assert.equal(opened[0]?.sent.filter((x) => x.includes('"ping"')).length, 1);
    await clock.advance(15_000);
    assert.equal(
      opened[0]?.sent.filter((x) => x.includes('"ping"')).length,
      2,
      'the pong re-armed the heartbeat',
    );
    const sock = opened[0];
    if (sock) sock.ws.send = (d) => sock.sent.push(d); // stop answering pings
    let reconnecting = 0;
    s.on('reconnecting', () => reconnecting++);
    await clock.advance(15_000 + 14_000);
    assert.equal(reconnecting, 1);
    await clock.advance(1000);
    assert.equal(opened.length, 2);
    s.disconnect();
  });

  it('4401 on connect is an AuthError, and no reconnect follows', async () => {
    const clock = new FakeClock();
    const { factory, opened } = fakeSockets(() => 4401);
    const s = new MercurySocket({ url: 'wss://m.wbx2.com/x', token: 't', clock, webSocketFactory: factory });
    const rejected = assert.rejects(
      s.connect(),
      (e: unknown) => (e as { code?: string }).code === 'HERALD_AUTH',
    );
    await clock.advance(0);
    await rejected;
    await clock.advance(100_000);
    assert.equal(opened.length, 1);
  });
});

describe('LoopGuard', () => {
  it('pauses a room past 5 messages in 3 s and logs a warning; other rooms unaffected', () => {
    let t = 0;
    const warnings: string[] = [];
    const logger = {
      debug() {},
      info() {},
      error() {},
      warn: (_f: Record<string, unknown>, m: string) => warnings.push(m),
    };
    const g = new LoopGuard({ now: () => t, logger, pauseMs: 10_000 });
    const allowed = Array.from({ length: 7 }, () => g.allow('r1'));
    assert.deepEqual(allowed, [true, true, true, true, true, false, false]);
    assert.equal(warnings.length, 1);
    assert.ok(g.allow('r2'));
    t = 5000;
    assert.equal(g.allow('r1'), false, 'still paused');
    t = 11_000;
    assert.ok(g.allow('r1'), 'pause over');
    const slow = new LoopGuard({ now: () => t });
    for (let i = 0; i < 20; i++) {
      t += 700;
      assert.ok(slow.allow('r3'), 'a steady pace under the threshold is never paused');
    }
  });
});
