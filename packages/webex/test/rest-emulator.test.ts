// Every resource method of WebexClient against a started emulator (real sockets, port 0). People
// act through their own seeded tokens; the control API is used only for what REST cannot do
// (file scan delays, fault injection).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { type Seed, seedAnnouncementSpace, startEmulator, twoOrgCast } from '@herald/emulator';
import { ContentNotReadyError, InvalidArgumentError, WebexApiError } from '../src/errors.js';
import { sameId } from '../src/ids.js';
import { type Message, WebexClient } from '../src/rest/index.js';

const TOKENS = { bot: 'REST_BOT', alice: 'REST_ALICE', bob: 'REST_BOB', carol: 'REST_CAROL' } as const;

const seed: Seed = {
  ...twoOrgCast(TOKENS),
  rooms: [
    { key: 'general', title: 'General', creator: 'alice', members: ['bob', 'bot'] },
    seedAnnouncementSpace('news', 'News', 'alice', ['bob', 'bot']),
    { key: 'private', title: 'Private', creator: 'alice', members: ['bob'] },
  ],
};

type Emu = Awaited<ReturnType<typeof startEmulator>>;
let emu: Emu;
let base: string;
/** The emulator's clock: ticks 1 ms per reading, and jumps when a client "sleeps". */
let nowMs = Date.UTC(2024, 4, 1, 9, 0, 0);
const waits: number[] = [];

function as(who: keyof typeof TOKENS): WebexClient {
  return new WebexClient({
    token: TOKENS[who],
    baseUrl: base,
    // Waiting is moving the emulator's clock: rate-limit buckets refill, nothing sleeps for real.
    sleep: async (ms) => {
      waits.push(ms);
      nowMs += ms;
    },
  });
}

before(async () => {
  emu = await startEmulator({ port: 0, seed, clock: () => (nowMs += 1) });
  base = `${emu.url}/v1`;
});
after(async () => {
  await emu?.stop();
});

async function roomByTitle(client: WebexClient, title: string): Promise<string> {
  for await (const room of client.rooms.list({ max: 100 })) if (room.title === title) return room.id;
  throw new Error(`no room ${title}`);
}

async function apiError(p: Promise<unknown>): Promise<WebexApiError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof WebexApiError, `expected a WebexApiError, got ${String(err)}`);
  return err;
}

describe('people and organizations', () => {
  it('me, get, list by email / displayName / id, own organization', async () => {
    const bot = as('bot');
    const me = await bot.people.me();
    assert.equal(me.type, 'bot');
    assert.deepEqual(me.emails, ['herald@webex.bot']);
    assert.equal((await bot.people.get(me.id)).displayName, 'Herald');
    const [alice] = await bot.people.list({ email: 'alice@acme.example' }).toArray();
    assert.equal(alice?.displayName, 'Alice Archer');
    const byName = await bot.people.list({ displayName: 'Bob' }).toArray();
    assert.deepEqual(
      byName.map((p) => p.emails[0]),
      ['bob@acme.example'],
    );
    const byId = await bot.people.list({ id: [me.id, alice!.id] }).toArray();
    assert.equal(byId.length, 2);
    const org = await bot.organizations.get(me.orgId);
    assert.equal(org.displayName, 'Acme');
  });
});

describe('rooms and memberships', () => {
  it('create, get, update, list, delete a room; add, update, list, remove members', async () => {
    const alice = as('alice');
    const bot = as('bot');
    const botMe = await bot.people.me();
    const room = await alice.rooms.create({ title: 'Project X' });
    assert.equal(room.type, 'group');
    assert.equal((await alice.rooms.get(room.id)).title, 'Project X');
    const renamed = await alice.rooms.update(room.id, { title: 'Project Y', isLocked: true });
    assert.equal(renamed.title, 'Project Y');
    assert.equal(renamed.isLocked, true);

    const m = await alice.memberships.create({ roomId: room.id, personId: botMe.id });
    assert.ok(sameId(m.personId, botMe.id));
    const dup = await apiError(
      alice.memberships.create({ roomId: room.id, personEmail: 'herald@webex.bot' }),
    );
    assert.equal(dup.status, 409);
    assert.equal((await alice.memberships.get(m.id)).isModerator, false);
    const mod = await alice.memberships.update(m.id, { isModerator: true });
    assert.equal(mod.isModerator, true);
    const members = await alice.memberships.list({ roomId: room.id }).toArray();
    assert.equal(members.length, 2);
    const botsOwn = await bot.memberships.list().toArray();
    assert.ok(botsOwn.some((x) => x.roomId === room.id));
    const filtered = await alice.memberships
      .list({ roomId: room.id, personEmail: 'herald@webex.bot' })
      .toArray();
    assert.equal(filtered.length, 1);

    assert.ok((await bot.rooms.list({ type: 'group' }).toArray()).some((r) => r.id === room.id));
    await alice.memberships.delete(m.id);
    assert.ok(!(await bot.rooms.list().toArray()).some((r) => r.id === room.id));
    await alice.rooms.delete(room.id);
    assert.equal((await apiError(alice.rooms.get(room.id))).status, 404);
  });

  it('pages through 250 rooms with max 100', async () => {
    const carol = as('carol');
    for (let i = 0; i < 250; i++) await carol.rooms.create({ title: `bulk ${i}` });
    const pages: number[] = [];
    for await (const page of carol.rooms.list({ max: 100 }).pages()) pages.push(page.items.length);
    assert.deepEqual(pages, [100, 100, 50]);
    const titles = new Set((await carol.rooms.list({ max: 100 }).toArray()).map((r) => r.title));
    assert.equal(titles.size, 250);
  });
});

describe('messages', () => {
  it('renders a mention, and the bot sees only messages that mention it in a group room', async () => {
    const alice = as('alice');
    const bot = as('bot');
    const botMe = await bot.people.me();
    const general = await roomByTitle(alice, 'General');
    const mention = await alice.messages.create({
      roomId: general,
      markdown: `<@personId:${botMe.id}|Herald> status please`,
    });
    assert.ok(mention.mentionedPeople?.some((p) => sameId(p, botMe.id)));
    const rendered =
      /<spark-mention data-object-type="person" data-object-id="([^"]+)">Herald<\/spark-mention>/.exec(
        mention.html ?? '',
      );
    assert.ok(rendered, `no person mention in ${mention.html}`);
    // In REST answers data-object-id is the PEOPLE REST id (docs/protocol.md §5.4, CAP-LIVE).
    assert.ok(sameId(rendered[1], botMe.id));
    assert.equal(mention.text, 'Herald status please');
    const seen = await bot.messages.get(mention.id);
    assert.equal(seen.id, mention.id);

    const quiet = await alice.messages.create({ roomId: general, text: 'not for the bot' });
    const hidden = await apiError(bot.messages.get(quiet.id));
    assert.equal(hidden.status, 404);
    assert.ok(hidden.trackingId, 'error carries a tracking id');

    const refused = await apiError(bot.messages.list({ roomId: general }).toArray());
    assert.equal(refused.status, 403);
    const mine = await bot.messages.list({ roomId: general, mentionedPeople: 'me' }).toArray();
    assert.ok(mine.some((m) => m.id === mention.id));
    assert.ok(!mine.some((m) => m.id === quiet.id));
  });

  it('refuses a bot outside a room and a non-moderator in an announcement-only room', async () => {
    const alice = as('alice');
    const bot = as('bot');
    const priv = await roomByTitle(alice, 'Private');
    const notMember = await apiError(bot.rooms.get(priv));
    assert.ok([403, 404].includes(notMember.status));
    const cannotPost = await apiError(bot.messages.create({ roomId: priv, text: 'hello?' }));
    assert.ok([403, 404].includes(cannotPost.status));

    const news = await roomByTitle(alice, 'News');
    const announce = await apiError(bot.messages.create({ roomId: news, text: 'breaking' }));
    assert.equal(announce.status, 403);
    const botMe = await bot.people.me();
    const [membership] = await alice.memberships.list({ roomId: news, personId: botMe.id }).toArray();
    await alice.memberships.update(membership!.id, { isModerator: true });
    const posted = await bot.messages.create({ roomId: news, text: 'breaking' });
    assert.equal(posted.roomId, news);
  });

  it('enforces the 7,439-byte limit on the server', async () => {
    const alice = as('alice');
    const general = await roomByTitle(alice, 'General');
    await alice.messages.create({ roomId: general, text: 'a'.repeat(7439) });
    const tooLong = await apiError(alice.messages.create({ roomId: general, text: 'a'.repeat(7440) }));
    assert.equal(tooLong.status, 400);
    assert.ok(tooLong.trackingId);
    // 3,720 two-byte characters: 7,440 bytes.
    const multiByte = await apiError(alice.messages.create({ roomId: general, markdown: 'é'.repeat(3720) }));
    assert.equal(multiByte.status, 400);
  });

  it('direct messages, threads, edit, delete, 250-message paging', async () => {
    const alice = as('alice');
    const bot = as('bot');
    const botMe = await bot.people.me();
    const dm = await bot.messages.create({ toPersonEmail: 'alice@acme.example', text: 'hi Alice' });
    assert.equal(dm.roomType, 'direct');
    const reply = await alice.messages.create({ roomId: dm.roomId, parentId: dm.id, text: 'hi bot' });
    assert.equal(reply.parentId, dm.id);
    const direct = await alice.messages.listDirect({ personId: botMe.id }).toArray();
    assert.ok(direct.some((m) => m.id === dm.id));
    const thread = await bot.messages
      .listDirect({ personEmail: 'alice@acme.example', parentId: dm.id })
      .toArray();
    assert.deepEqual(
      thread.map((m) => m.id),
      [reply.id],
    );
    const edited = await bot.messages.edit(dm.id, { roomId: dm.roomId, markdown: '**hi** Alice' });
    assert.ok(edited.updated);
    await bot.messages.delete(dm.id);
    assert.equal((await apiError(bot.messages.get(dm.id))).status, 404);

    const room = await alice.rooms.create({ title: 'chatty' });
    const sent: Message[] = [];
    for (let i = 0; i < 250; i++) sent.push(await alice.messages.create({ roomId: room.id, text: `m${i}` }));
    const listed = await alice.messages.list({ roomId: room.id, max: 100 }).toArray();
    assert.equal(listed.length, 250);
    assert.equal(listed[0]?.id, sent[249]?.id, 'newest first');
    const older = await alice.messages
      .list({ roomId: room.id, beforeMessage: sent[100]!.id, max: 100 })
      .toArray();
    assert.equal(older.length, 100);
  });
});

describe('files and cards', () => {
  it('uploads bytes and downloads them back byte for byte', async () => {
    const alice = as('alice');
    const general = await roomByTitle(alice, 'General');
    const data = randomBytes(200_000);
    const msg = await alice.messages.create({
      roomId: general,
      text: 'the report',
      file: { data, filename: 'rapport été.bin', contentType: 'application/x-test' },
    });
    assert.equal(msg.files?.length, 1);
    const file = await alice.contents.download(msg.files![0]!);
    assert.ok(file.data.equals(data));
    assert.equal(file.filename, 'rapport été.bin');
    assert.equal(file.contentType, 'application/x-test');
    const info = await alice.contents.info(msg.files![0]!);
    assert.equal(info.size, data.length);
  });

  it('posts a card and reads a submission with its inputs', async () => {
    const alice = as('alice');
    const bot = as('bot');
    const dm = await bot.messages.create({
      toPersonEmail: 'alice@acme.example',
      text: 'card',
      attachments: [
        {
          contentType: 'application/vnd.microsoft.card.adaptive',
          content: { type: 'AdaptiveCard', version: '1.3', body: [{ type: 'Input.Text', id: 'name' }] },
        },
      ],
    });
    const action = await alice.attachmentActions.create({ messageId: dm.id, inputs: { name: 'Alice' } });
    const read = await bot.attachmentActions.get(action.id);
    assert.deepEqual(read.inputs, { name: 'Alice' });
    assert.equal(read.messageId, dm.id);
  });
});

describe('file scanning (423, 410, 428)', () => {
  async function postFile(name: string): Promise<{ url: string; data: Buffer }> {
    const alice = as('alice');
    const general = await roomByTitle(alice, 'General');
    const data = randomBytes(4096);
    const msg = await alice.messages.create({ roomId: general, file: { data, filename: name } });
    return { url: msg.files![0]!, data };
  }

  it('waits out 423 "being scanned" as Retry-After says, then gets the bytes', async () => {
    const { url, data } = await postFile('scan.bin');
    emu.control.holdFile(url, 3);
    waits.length = 0;
    const file = await as('alice').contents.download(url);
    assert.ok(file.data.equals(data));
    assert.equal(waits.length, 3);
    assert.ok(waits.every((w) => w >= 1000));
  });

  it('gives up with ContentNotReadyError after maxScanWaitMs', async () => {
    const { url } = await postFile('slow.bin');
    emu.control.holdFile(url, 1000);
    const err = await as('alice')
      .contents.download(url, { maxScanWaitMs: 5000 })
      .catch((e: unknown) => e);
    assert.ok(err instanceof ContentNotReadyError, String(err));
    assert.equal(err.status, 423);
    assert.ok(err.waitedMs <= 5000);
    assert.ok(err.trackingId);
  });

  it('answers an infected file with 410 and an unscannable one with 428 unless allowed', async () => {
    const infected = await postFile('virus.exe');
    emu.control.holdFile(infected.url, 0, 'infected');
    assert.equal((await apiError(as('alice').contents.download(infected.url))).status, 410);
    const locked = await postFile('secret.zip');
    emu.control.holdFile(locked.url, 0, 'unscannable');
    assert.equal((await apiError(as('alice').contents.download(locked.url))).status, 428);
    const forced = await as('alice').contents.download(locked.url, { allowUnscannable: true });
    assert.ok(forced.data.equals(locked.data));
  });
});

describe('rate limits and faults', () => {
  after(() => {
    emu.control.setRateLimits({});
    emu.control.setFaults({});
  });

  it('waits the Retry-After of each 429 and sends every message exactly once', async () => {
    const bot = as('bot');
    const alice = as('alice');
    const room = await alice.rooms.create({ title: 'rate limited' });
    await alice.memberships.create({ roomId: room.id, personEmail: 'herald@webex.bot' });
    emu.control.setRateLimits({ postPerRoom: { capacity: 2, perSecond: 1 } });
    waits.length = 0;
    emu.control.clearRequests();
    for (let i = 0; i < 6; i++) await bot.messages.create({ roomId: room.id, text: `burst ${i}` });
    emu.control.setRateLimits({});
    const log = emu.control.requests({ method: 'POST', path: '/v1/messages' });
    const limited = log.filter((r) => r.status === 429).length;
    assert.ok(limited >= 3, `expected 429s, got ${limited}`);
    assert.equal(waits.length, limited, 'one wait per 429');
    assert.equal(log.filter((r) => r.status === 200).length, 6);
    const texts = emu.control.messages(room.id).map((m) => m.text);
    assert.deepEqual(
      texts,
      Array.from({ length: 6 }, (_, i) => `burst ${i}`),
    );
  });

  it('retries GETs through injected 503s, and never repeats a failed POST /messages', async () => {
    const alice = as('alice');
    const general = await roomByTitle(alice, 'General');
    emu.control.setFaults({ errorRate: 1, errorStatuses: [503], pathFilter: '/rooms/' });
    emu.control.clearRequests();
    const failed = await apiError(alice.rooms.get(general));
    assert.equal(failed.status, 503);
    assert.equal(emu.control.requests({ method: 'GET', path: '/rooms/' }).length, 6, 'retry.attempts (6)');

    emu.control.setFaults({ errorRate: 1, errorStatuses: [503], pathFilter: '/messages' });
    emu.control.clearRequests();
    const before = emu.control.messages(general).length;
    const once = await apiError(alice.messages.create({ roomId: general, text: 'only once' }));
    assert.equal(once.status, 503);
    assert.equal(emu.control.requests({ method: 'POST', path: '/messages' }).length, 1);
    emu.control.setFaults({});
    assert.equal(emu.control.messages(general).length, before);
  });

  it('errors carry the tracking id the client sent, and never the token', async () => {
    const bot = as('bot');
    const err = await apiError(
      bot.messages.get('Y2lzY29zcGFyazovL3VzL01FU1NBR0UvMDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAw'),
    );
    assert.equal(err.status, 404);
    assert.match(err.trackingId ?? '', /^herald_/);
    assert.ok(!`${err.message}${err.stack}${JSON.stringify(err)}`.includes(TOKENS.bot));
  });
});

describe('webhooks', () => {
  it('create, list, get, update, delete', async () => {
    const bot = as('bot');
    const hook = await bot.webhooks.create({
      name: 'messages',
      targetUrl: 'http://127.0.0.1:9/hook',
      resource: 'messages',
      event: 'created',
      filter: 'mentionedPeople=me',
      secret: 's3cret',
    });
    assert.equal(hook.status, 'active');
    assert.ok((await bot.webhooks.list().toArray()).some((w) => w.id === hook.id));
    assert.equal((await bot.webhooks.get(hook.id)).filter, 'mentionedPeople=me');
    const updated = await bot.webhooks.update(hook.id, {
      name: 'renamed',
      targetUrl: 'http://127.0.0.1:9/h2',
    });
    assert.equal(updated.name, 'renamed');
    await bot.webhooks.delete(hook.id);
    assert.equal((await apiError(bot.webhooks.get(hook.id))).status, 404);
  });
});

describe('client-side validation', () => {
  it('still refuses contradictory arguments before sending', async () => {
    await assert.rejects(
      as('bot').messages.create({ roomId: 'r', toPersonEmail: 'a@b.c', text: 'x' }),
      InvalidArgumentError,
    );
  });
});
