/**
 * The emulator of the scale bench in a process of its own (started with `fork`), so that the
 * bench process holds only the bot: its event-loop stalls, CPU and memory are the bot's alone.
 * Answers the parent's questions over the IPC channel.
 */

import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { type Seed, seedBot, seedBotDirect, seedOrg, seedPerson, startEmulator } from '@herald/emulator';
import { encodeId } from '@herald/webex';

export type Ask =
  | { id: number; op: 'post'; text: string }
  | { id: number; op: 'status'; report: boolean }
  | { id: number; op: 'calls' }
  | { id: number; op: 'clear' }
  | { id: number; op: 'limit'; perSecond: number | undefined }
  | { id: number; op: 'groups'; n: number }
  | { id: number; op: 'cpu' }
  | { id: number; op: 'profile'; file: string | undefined }
  | { id: number; op: 'copy' }
  | { id: number; op: 'stop' };

function scaleSeed(groups: number, directs: number): Seed {
  const people = Array.from({ length: directs }, (_, i) =>
    seedPerson(`p${i}`, 'acme', `Person ${i}`, `TP${i}`),
  );
  return {
    orgs: [seedOrg('acme', 'Acme')],
    people: [seedBot('SCALE_BOT'), seedPerson('alice', 'acme', 'Alice', 'SCALE_ALICE'), ...people],
    rooms: [
      seedBotDirect('alice', 'Alice'),
      ...people.map((p) => seedBotDirect(p.key ?? '', p.displayName ?? '')),
      ...Array.from({ length: groups }, (_, i) => ({
        key: `g${i}`,
        title: `Space ${i}`,
        creator: 'alice',
        members: ['bot'],
      })),
    ],
  };
}

const [groups, directs] = process.argv.slice(2).map(Number);
const emu = await startEmulator({ port: 0, seed: scaleSeed(groups ?? 0, directs ?? 0) });
const world = emu.world;
const bot = world.findPerson('bot')!;
const alice = world.findPerson('alice')!;
const direct = world.findRoom('alice-bot')!;
// Messages counted so far (a Map keeps insertion order: only the new ones are read each time).
let seen = 0;
let copies = 0;
let lastReport = '';
/** When the first and the last copy were created (the world's clock, ms). */
let firstAt = 0;
let lastAt = 0;
/** With SCALE_PROF: the profiler of this process (the `profile` question). */
let profiler: Session | undefined;

process.on('message', async (ask: Ask) => {
  const answer = (value: unknown) => process.send?.({ id: ask.id, value });
  switch (ask.op) {
    case 'post':
      seen = world.messages.size;
      copies = 0;
      lastReport = '';
      firstAt = 0;
      lastAt = 0;
      world.postMessage(alice.id, { roomId: direct.id, text: ask.text });
      return answer(null);
    case 'status': {
      let i = 0;
      for (const m of world.messages.values()) {
        if (i++ < seen) continue;
        seen++;
        if (m.personId !== bot.id) continue;
        if (m.roomId === direct.id) lastReport = m.markdown ?? '';
        else {
          copies++;
          lastAt = Date.parse(m.created);
          if (firstAt === 0) firstAt = lastAt;
        }
      }
      // The last report card may have been deleted and replaced: read the live one (this copies
      // every message, so only when the report is asked for).
      if (ask.report)
        for (const m of [...world.messages.values()].slice(-50))
          if (m.personId === bot.id && m.roomId === direct.id && !m.deleted) lastReport = m.markdown ?? '';
      return answer({ copies, report: lastReport, firstAt, lastAt });
    }
    case 'calls': {
      const calls = emu.control.requests({ personId: bot.id }).filter((r) => r.path.startsWith('/v1/'));
      const pages = calls.filter((r) => r.method === 'GET' && r.path.startsWith('/v1/rooms')).length;
      const byKind: Record<string, number> = {};
      for (const r of calls) {
        const k = `${r.method} ${r.path.split('/').slice(0, 3).join('/')}`;
        byKind[k] = (byKind[k] ?? 0) + 1;
      }
      return answer({
        calls: calls.length,
        pages,
        rateLimited: calls.filter((r) => r.status === 429).length,
        byKind,
      });
    }
    case 'clear':
      emu.control.clearRequests();
      return answer(null);
    case 'limit':
      emu.control.setRateLimits(
        ask.perSecond ? { postPerToken: { capacity: ask.perSecond, perSecond: ask.perSecond } } : {},
      );
      return answer(null);
    case 'groups':
      return answer(
        [...world.rooms.values()]
          .filter((r) => r.type === 'group')
          .slice(0, ask.n)
          .map((r) => encodeId('ROOM', r.id)),
      );
    case 'copy': {
      // The markdown of the bot's last copy in a group: what the bare loop sends, so that the
      // emulator does the same work for both.
      let markdown = '';
      for (const m of world.messages.values())
        if (m.personId === bot.id && m.roomId !== direct.id) markdown = m.markdown ?? '';
      return answer(markdown);
    }
    case 'cpu': {
      const u = process.cpuUsage();
      return answer((u.user + u.system) / 1000);
    }
    case 'profile':
      // Start a CPU profile, or write the one running to `file`.
      if (ask.file === undefined) {
        profiler ??= new Session();
        profiler.connect();
        await profiler.post('Profiler.enable');
        await profiler.post('Profiler.setSamplingInterval', { interval: 100 });
        await profiler.post('Profiler.start');
      } else if (profiler) {
        const { profile } = await profiler.post('Profiler.stop');
        writeFileSync(ask.file, JSON.stringify(profile));
        profiler.disconnect();
      }
      return answer(null);
    case 'stop':
      await emu.stop();
      answer(null);
      process.exit(0);
  }
});
process.send?.({ ready: { url: emu.url, wsUrl: emu.wsUrl } });
