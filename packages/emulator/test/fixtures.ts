/** A small seed shared by the emulator's tests: two orgs, a bot, three people, a few rooms. */
import { seedAnnouncementSpace, seedBotDirect, twoOrgCast } from '../src/state/seeds.js';
import type { Seed } from '../src/state/types.js';

export const TOKENS = {
  bot: 'TEST_BOT_TOKEN',
  alice: 'TEST_ALICE_TOKEN',
  bob: 'TEST_BOB_TOKEN',
  carol: 'TEST_CAROL_TOKEN',
} as const;

export const testSeed: Seed = {
  ...twoOrgCast(TOKENS),
  rooms: [
    { key: 'general', title: 'General', creator: 'alice', members: ['bob', 'bot', 'carol'] },
    seedAnnouncementSpace('news', 'News', 'alice', ['bob', 'bot']),
    { key: 'globex-room', title: 'Globex room', creator: 'carol', members: ['bot'] },
    seedBotDirect('alice', 'Alice & Herald'),
  ],
};
