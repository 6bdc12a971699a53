/** A small seed shared by the emulator's tests: two orgs, a bot, three people, a few rooms. */
import type { Seed } from '../src/state/types.js';

export const TOKENS = {
  bot: 'TEST_BOT_TOKEN',
  alice: 'TEST_ALICE_TOKEN',
  bob: 'TEST_BOB_TOKEN',
  carol: 'TEST_CAROL_TOKEN',
} as const;

export const testSeed: Seed = {
  orgs: [
    { key: 'acme', displayName: 'Acme' },
    { key: 'globex', displayName: 'Globex' },
  ],
  people: [
    { key: 'bot', org: 'acme', email: 'herald@webex.bot', displayName: 'Herald', token: TOKENS.bot },
    {
      key: 'alice',
      org: 'acme',
      email: 'alice@acme.example',
      displayName: 'Alice Archer',
      token: TOKENS.alice,
    },
    { key: 'bob', org: 'acme', email: 'bob@acme.example', displayName: 'Bob Baker', token: TOKENS.bob },
    {
      key: 'carol',
      org: 'globex',
      email: 'carol@globex.example',
      displayName: 'Carol Cruz',
      token: TOKENS.carol,
    },
  ],
  rooms: [
    { key: 'general', title: 'General', creator: 'alice', members: ['bob', 'bot', 'carol'] },
    {
      key: 'news',
      title: 'News',
      creator: 'alice',
      isLocked: true,
      isAnnouncementOnly: true,
      members: ['bob', 'bot'],
    },
    { key: 'globex-room', title: 'Globex room', creator: 'carol', members: ['bot'] },
    { key: 'alice-bot', title: 'Alice & Herald', type: 'direct', creator: 'alice', members: ['bot'] },
  ],
};
