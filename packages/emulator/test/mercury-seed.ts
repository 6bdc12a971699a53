// Test helper (not a test file): the world the Mercury tests and the Mercury bench run in.
import { type Seed, seedBot } from '@herald/emulator';

export const MERCURY_SEED: Seed = {
  orgs: [{ key: 'acme', displayName: 'Acme' }],
  people: [
    { key: 'alice', org: 'acme', email: 'alice@acme.test', displayName: 'Alice', token: 'alice-token' },
    { key: 'bob', org: 'acme', email: 'bob@acme.test', displayName: 'Bob', token: 'bob-token' },
    seedBot('bot-token'),
  ],
  rooms: [
    { key: 'dm', title: 'Alice', type: 'direct', creator: 'alice', members: ['alice', 'bot'] },
    { key: 'team', title: 'Team', creator: 'alice', members: ['alice', 'bob', 'bot'] },
  ],
};
