/** The chat page's server side over real HTTP: the page, its data routes and its event stream. */
import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { encodeId } from '@herald/webex';
import { until } from '../../../harness/wait.js';
import { loadDemoSeed } from '../src/control.js';
import { type RunningEmulator, startEmulator } from '../src/server.js';
import { World } from '../src/state/world.js';
import { UiEvents } from '../src/ui/events.js';

interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}

/** A Server-Sent Events reader over fetch: collects events; `next` waits (bounded) for a match. */
async function openStream(url: string) {
  const abort = new AbortController();
  const res = await fetch(url, { signal: abort.signal });
  assert.equal(res.status, 200, `stream ${url}`);
  assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
  const events: SseEvent[] = [];
  let comments = 0;
  const waiters = new Set<() => void>();
  const reader = res.body!.getReader();
  const reading = (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let event = 'message';
          let data = '';
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) comments++;
            else if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data += line.slice(6);
          }
          if (data) events.push({ event, data: JSON.parse(data) as Record<string, unknown> });
          for (const w of waiters) w();
          end = buffer.indexOf('\n\n');
        }
      }
    } catch {
      // aborted
    }
  })();
  return {
    events,
    comments: () => comments,
    async next(what: string, match: (e: SseEvent) => boolean, timeoutMs = 5000): Promise<SseEvent> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = events.find(match);
        if (found) return found;
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`timed out waiting for ${what}`);
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            waiters.delete(done);
            resolve();
          };
          const timer = setTimeout(done, left);
          waiters.add(done);
        });
      }
    },
    async close() {
      abort.abort();
      await reader.cancel().catch(() => undefined);
      await reading;
    },
  };
}

const messageText = (e: SseEvent) => (e.data.message as { text?: string } | undefined)?.text;

describe('chat page server', () => {
  let emu: RunningEmulator;
  before(async () => {
    emu = await startEmulator({ port: 0, seed: 'demo', randomSeed: 7 });
  });
  after(async () => {
    await emu.stop();
  });

  it('GET / serves the page; its script and style are same-origin files, under a strict CSP', async () => {
    const page = await fetch(`${emu.url}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    const html = await page.text();
    assert.match(html, /<script type="module" src="\/_emulator\/ui\/app\.js">/);
    assert.doesNotMatch(html, /https?:\/\//, 'nothing from another host');
    const js = await fetch(`${emu.url}/_emulator/ui/app.js`);
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type') ?? '', /^text\/javascript/);
    assert.match(await js.text(), /EventSource/);
    const css = await fetch(`${emu.url}/_emulator/ui/style.css`);
    assert.match(css.headers.get('content-type') ?? '', /^text\/css/);
    assert.equal((await fetch(`${emu.url}/index.html`)).status, 404, 'only GET / at the root');
  });

  it('the person list carries no tokens', async () => {
    const res = await fetch(`${emu.url}/_emulator/ui/people`);
    const raw = await res.text();
    const body = JSON.parse(raw) as { items: Array<Record<string, unknown>> };
    assert.equal(body.items.length, emu.control.people().length);
    for (const p of emu.control.people()) assert.ok(!raw.includes(p.token), `no token of ${p.email}`);
    for (const item of body.items) assert.ok(!('token' in item) && !('tokens' in item));
    assert.ok(body.items.some((p) => p.type === 'bot' && p.displayName === 'Herald'));
  });

  it("a person's spaces: their memberships only, a 1-1 titled by the other person", async () => {
    const { items } = (await (await fetch(`${emu.url}/_emulator/ui/spaces?person=alice`)).json()) as {
      items: Array<{ key?: string; title: string; type: string }>;
    };
    const alice = emu.world.findPerson('alice')!;
    assert.equal(items.length, emu.world.roomsOf(alice.id).length);
    assert.equal(items.find((s) => s.key === 'dm-alice-bot')?.title, 'Herald');
    const bobs = (await (await fetch(`${emu.url}/_emulator/ui/spaces?person=bob`)).json()) as {
      items: typeof items;
    };
    assert.equal(bobs.items.find((s) => s.key === 'dm-alice-bob')?.title, 'Alice Archer');
    assert.ok(!items.some((s) => s.key === 'globex-ops'), 'not a member');
    const denied = await fetch(`${emu.url}/_emulator/ui/spaces/globex-ops/messages?person=alice`);
    assert.equal(denied.status, 404);
    assert.equal((await fetch(`${emu.url}/_emulator/ui/spaces?person=nobody`)).status, 404);
  });

  it('the event stream delivers a message to a member, not to a non-member or an unmentioned bot', async () => {
    const bob = await openStream(`${emu.url}/_emulator/ui/events?person=bob`);
    const carol = await openStream(`${emu.url}/_emulator/ui/events?person=carol`);
    const bot = await openStream(`${emu.url}/_emulator/ui/events?person=bot`);
    try {
      emu.control.post('alice', { room: 'acme-general', markdown: 'hello **Acme**' });
      const got = await bob.next('the message at bob', (e) => messageText(e) === 'hello Acme');
      assert.equal(got.event, 'change');
      assert.equal(got.data.kind, 'message.created');
      assert.equal((got.data.message as { personName: string }).personName, 'Alice Archer');
      // A fence: a later message carol and the bot both see (each stream keeps commit order), so
      // once it has arrived, the first one would have arrived before it.
      const mention = `<@personId:${encodeId('PEOPLE', emu.world.findPerson('bot')!.id)}|Herald>`;
      emu.control.post('alice', { room: 'acme-sales', markdown: `${mention} fence` });
      for (const [name, stream] of [
        ['carol', carol],
        ['bot', bot],
      ] as const) {
        await stream.next(`the fence at ${name}`, (e) => messageText(e) === 'Herald fence');
        assert.ok(!stream.events.some((e) => messageText(e) === 'hello Acme'), `${name} must not see it`);
      }
    } finally {
      await Promise.all([bob.close(), carol.close(), bot.close()]);
    }
  });

  it('files download through the page route for members only', async () => {
    const bob = await openStream(`${emu.url}/_emulator/ui/events?person=bob`);
    try {
      const bytes = Buffer.from('quarterly numbers\n');
      emu.control.post('alice', {
        room: 'acme-general',
        text: 'the report',
        file: { name: 'report.txt', contentType: 'text/plain', bytes },
      });
      const e = await bob.next('the file message', (x) => messageText(x) === 'the report');
      const [file] = (e.data.message as { files: Array<{ url: string; name: string; size: number }> }).files;
      assert.equal(file?.name, 'report.txt');
      assert.equal(file?.size, bytes.length);
      const res = await fetch(`${emu.url}${file!.url}`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-disposition') ?? '', /filename="report\.txt"/);
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), bytes);
      const asCarol = file!.url.replace(/person=[^&]+/, 'person=carol');
      assert.equal((await fetch(`${emu.url}${asCarol}`)).status, 404);
    } finally {
      await bob.close();
    }
  });

  it('answers loopback host names only (DNS rebinding)', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${emu.url}/_emulator/ui/people`, { headers: { Host: 'evil.example' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(status, 403);
  });

  it('tells open pages about a reset', async () => {
    const a = await openStream(`${emu.url}/_emulator/ui/events?person=alice`);
    try {
      emu.control.reset();
      await a.next('the reset event', (e) => e.event === 'reset');
    } finally {
      await a.close();
    }
  });
});

describe('chat page event stream limits', () => {
  it('refuses streams past the limit, sends keep-alives, frees a closed stream', async () => {
    const world = new World();
    world.loadSeed(loadDemoSeed());
    const events = new UiEvents(world, { maxStreams: 1, keepAliveMs: 20 });
    const alice = world.findPerson('alice')!;
    const server = createServer((_req, res) => {
      if (!events.open(res, alice.id, 'alice')) {
        res.writeHead(503);
        res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    try {
      const first = await openStream(url);
      assert.equal((await fetch(url)).status, 503, 'one stream at most');
      await until('two keep-alive comments', () => first.comments() >= 3);
      await first.close();
      await until('the closed stream to be dropped', () => events.size === 0);
      const again = await openStream(url);
      await again.close();
    } finally {
      events.stop();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
