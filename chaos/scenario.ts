/**
 * One chaos phase: the emulator with a fixed seed, the broadcast bot in-process (`runBot`) over
 * Mercury or webhooks, people posting while the emulator injects faults, then a bounded wait for the
 * outcome and the figures: faults by kind, messages in, broadcasts, deliveries, lost, duplicated.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningEmulator, startEmulator } from '@herald/emulator';
import { type Logger, silentLogger } from '@herald/webex';
import type { RunningBot } from '../apps/broadcast/src/app.js';
import { parseConfig } from '../apps/broadcast/src/config.js';
import { freePort, runBotOnEmulator, type TransportName } from '../apps/broadcast/test/scenario.js';
import {
  BOT_TOKEN,
  chaosSeed,
  GROUPS,
  type Request,
  SENDERS,
  seededRandom,
  type Tally,
  tally,
  WEBHOOK_SECRET,
} from '../harness/world.js';

export interface PhaseOptions {
  transport: TransportName;
  /** Seed of the traffic, the REST fault draw and the emulator's id generator. */
  seed: number;
  /** How long people keep posting (ms). */
  trafficMs: number;
  /** One post (a broadcast request or chatter) this often (ms). */
  postEveryMs: number;
  /** Share of posts that are broadcast requests (the rest is chatter in group spaces). */
  broadcastShare: number;
  /**
   * Socket faults (drop 1006 and `shutdown`, alternately) in this phase. The library gives up after
   * 10 reconnects that never stayed up 60 s (`maxReconnectAttempts`, backoff.ts): a link that
   * flaps forever is meant to trip it, so a phase stays under that budget.
   */
  socketFaults: number;
  /** A socket fault comes this long after the bot's socket is back (ms). */
  socketGapMs: number;
  /**
   * Token bucket of the bot's sends (capacity = refill per second). The bot pauses all sends for
   * Retry-After (≥ 1 s) after a 429, so about 1 send in `capacity + 1` meets one.
   */
  sendBucket: number;
  /** Upper bound of the wait for every broadcast to complete after the traffic (ms). */
  settleMs: number;
}

export interface PhaseResult {
  transport: TransportName;
  faults: Record<string, number>;
  sends: number;
  messagesIn: number;
  broadcasts: number;
  broadcastsDone: number;
  tally: Tally;
  connectedAtEnd: boolean;
  elapsedMs: number;
  problems: string[];
}

/** `CHAOS_LOG=1`: the bot's warnings and errors on stderr (fields only; the library redacts). */
const logger: Logger =
  process.env.CHAOS_LOG === '1'
    ? {
        ...silentLogger,
        warn: (f, m) => console.error(new Date().toISOString(), 'WARN', m, JSON.stringify(f)),
        error: (f, m) => console.error(new Date().toISOString(), 'ERROR', m, JSON.stringify(f)),
      }
    : silentLogger;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll `probe` every 50 ms until true or `timeoutMs` passed; returns the last answer. */
async function until(probe: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return true;
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
}

export async function runPhase(o: PhaseOptions): Promise<PhaseResult> {
  const started = Date.now();
  const random = seededRandom(o.seed);
  const emu: RunningEmulator = await startEmulator({
    port: 0,
    seed: chaosSeed(),
    randomSeed: o.seed,
    webhooks: { random: seededRandom(o.seed ^ 0x9e3779b9) },
  });
  const world = emu.world;
  const uuidOf = (key: string, kind: 'person' | 'room'): string => {
    const found = kind === 'person' ? world.findPerson(key) : world.findRoom(key);
    if (!found) throw new Error(`chaos seed has no ${kind} ${key}`);
    return found.id;
  };
  const botUuid = uuidOf('bot', 'person');
  const roomKeyOf = new Map<string, string>();
  for (const [key, uuid] of world.keys.rooms) roomKeyOf.set(uuid, key);

  const faults: Record<string, number> = {};
  const bump = (kind: string, n = 1) => {
    if (n > 0) faults[kind] = (faults[kind] ?? 0) + n;
  };

  // REST faults: sends meet a token bucket far below the bot's own rate (429 + Retry-After), and one
  // call in ten, any call, a 503. Over Mercury from the first call on (starting under faults is part
  // of the test); over webhooks once the bot is up, because its webhook registration is a POST that
  // is not retried after a 503 (a start that fails there is a supervisor's restart, not a loss).
  const restFaults = () => {
    emu.control.setRateLimits({ postPerToken: { capacity: o.sendBucket, perSecond: o.sendBucket } });
    emu.control.setFaults({ errorRate: 0.1, errorStatuses: [503], seed: o.seed });
  };
  if (o.transport === 'mercury') restFaults();
  else emu.control.webhooks.setFaults({ duplicate: true, reorderWindow: 4 });

  const dir = mkdtempSync(join(tmpdir(), 'herald-chaos-'));
  const port = await freePort();
  // Leases of 10 s rather than 30: a report whose POST met a 503 waits out its lease before it is
  // claimed again (reporter.ts), and a CI gate should not sit through that.
  const config = parseConfig({
    delivery: { rate_per_second: 20, workers: 8, lease_seconds: 10, max_attempts: 5 },
  });
  let bot: RunningBot | undefined;
  const problems: string[] = [];
  const requests: Request[] = [];
  let messagesIn = 0;
  let connectedAtEnd = false;
  try {
    bot = await runBotOnEmulator({
      emu,
      token: BOT_TOKEN,
      config,
      transport: o.transport,
      webhookSecret: WEBHOOK_SECRET,
      port,
      sqlitePath: join(dir, 'bot.sqlite'),
      instanceId: `chaos-${o.transport}`,
      logger,
    });
    if (o.transport === 'webhook') restFaults();

    // Socket and KMS faults run beside the traffic, on their own loop.
    let trafficOver = false;
    const faultLoop = (async () => {
      if (o.transport !== 'mercury') return;
      let left = o.socketFaults;
      let upSince = Date.now();
      let wasUp = true;
      let kmsSlow = false;
      let nextKmsToggle = Date.now() + 1500;
      while (!trafficOver) {
        const up = emu.control.mercury.socketCount('bot') > 0;
        if (up && !wasUp) upSince = Date.now();
        wasUp = up;
        if (up && left > 0 && Date.now() - upSince >= o.socketGapMs) {
          const drop = left % 2 === o.socketFaults % 2;
          const n = drop
            ? emu.control.mercury.dropSockets('bot', 1006)
            : emu.control.mercury.shutdown('bot', 200);
          bump(drop ? 'mercury socket dropped (1006)' : 'mercury shutdown frame', n);
          if (n > 0) {
            left--;
            wasUp = false;
          }
        }
        if (Date.now() >= nextKmsToggle) {
          kmsSlow = !kmsSlow;
          emu.control.mercury.kmsDelay(kmsSlow ? 1500 : 0);
          if (kmsSlow) bump('kms replies delayed 1.5 s (windows)');
          nextKmsToggle = Date.now() + 3000;
        }
        await sleep(100);
      }
      emu.control.mercury.kmsDelay(0);
    })();

    // People post: broadcast requests in their 1-1 with the bot, chatter in group spaces.
    const trafficEnd = Date.now() + o.trafficMs;
    let n = 0;
    while (Date.now() < trafficEnd) {
      const sender = SENDERS[Math.floor(random() * SENDERS.length)] ?? 'alice';
      if (random() < o.broadcastShare) {
        const marker = `chaos-${o.transport}-${n}`;
        world.postMessage(uuidOf(sender, 'person'), {
          roomId: uuidOf(`${sender}-bot`, 'room'),
          markdown: `Update **${n}** (${marker})`,
        });
        requests.push({ marker, sender });
      } else {
        const g = Math.floor(random() * GROUPS);
        const member = SENDERS[(g + 1) % SENDERS.length] ?? 'bob';
        world.postMessage(uuidOf(member, 'person'), {
          roomId: uuidOf(`group-${g}`, 'room'),
          text: `chatter ${n}`,
        });
      }
      messagesIn++;
      n++;
      await sleep(o.postEveryMs);
    }
    trafficOver = true;
    await faultLoop;

    // The outcome, within a bound: every broadcast row done and every destination holding its copy.
    const botCopies = () => [...world.messages.values()].filter((m) => m.personId === botUuid && !m.deleted);
    const store = bot.store;
    const settled = await until(async () => {
      const rows = await store.recentBroadcasts(10_000);
      return (
        rows.length === requests.length &&
        rows.every((r) => r.status === 'done') &&
        tally(requests, botCopies(), (id) => roomKeyOf.get(id)).lost === 0
      );
    }, o.settleMs);
    if (!settled) {
      const open = (await store.recentBroadcasts(10_000)).filter((r) => r.status !== 'done');
      problems.push(
        `not settled within ${o.settleMs} ms (${open.map((r) => `${r.status} ${r.sent}/${r.total} sent, ${r.failed} failed`).join('; ')})`,
      );
    }
    if (o.transport === 'mercury') {
      connectedAtEnd = await until(() => emu.control.mercury.socketCount('bot') > 0, 40_000);
    } else {
      connectedAtEnd = (await fetch(`${bot.url}/health`)).ok;
      await emu.control.webhooks.idle();
    }
    // A short grace for a late duplicate to show up before counting.
    await sleep(500);

    const rows = await store.recentBroadcasts(10_000);
    const t = tally(requests, botCopies(), (id) => roomKeyOf.get(id));
    const log = emu.control.requests();
    const sends = log.filter((e) => e.method === 'POST' && e.path.startsWith('/v1/messages'));
    bump('rest 429 on sends (rate limit)', sends.filter((e) => e.status === 429).length);
    bump('rest 503 (any call)', log.filter((e) => e.status === 503).length);
    if (o.transport === 'webhook') {
      const records = emu.control.webhooks.deliveries();
      const unique = new Set(records.map((r) => `${r.webhookId}|${r.seq}`));
      bump('webhook deliveries duplicated', records.length - unique.size);
      bump('webhook deliveries reordered (window 4)', unique.size);
    }
    if (!connectedAtEnd) problems.push('the bot is not connected at the end');
    if (t.lost > 0) problems.push(`lost: ${t.lostExamples.join(', ')}`);
    for (const r of rows.filter((row) => row.failed > 0)) {
      for (const d of (await store.deliveriesOf(r.id)).filter((x) => x.status === 'failed'))
        problems.push(`delivery failed after ${d.attempts} attempts: ${d.error ?? 'no reason'}`);
    }
    if (t.duplicated > 0) problems.push(`${t.duplicated} duplicate copies (no kills in-process: expected 0)`);
    if (t.misdirected > 0) problems.push(`${t.misdirected} copies in spaces that are not destinations`);
    return {
      transport: o.transport,
      faults,
      sends: sends.length,
      messagesIn,
      broadcasts: requests.length,
      broadcastsDone: rows.filter((r) => r.status === 'done').length,
      tally: t,
      connectedAtEnd,
      elapsedMs: Date.now() - started,
      problems,
    };
  } finally {
    await bot?.stop().catch((err: unknown) => problems.push(`bot stop failed: ${String(err)}`));
    await emu.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
