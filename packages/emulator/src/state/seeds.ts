/**
 * Seeds built in code, for tests and benchmarks at scale: one org, a bot, one person with a 1-1
 * with the bot (`alice-bot`), and `spaces` group spaces with the bot in them (`<prefix>0` …).
 */
import type { Seed } from './types.js';

export interface ManySpacesOptions {
  spaces: number;
  botToken: string;
  personToken: string;
  /** Key prefix of the group spaces. Default `s`. */
  prefix?: string;
}

export function manySpacesSeed(options: ManySpacesOptions): Seed {
  const prefix = options.prefix ?? 's';
  return {
    orgs: [{ key: 'acme', displayName: 'Acme' }],
    people: [
      {
        key: 'bot',
        org: 'acme',
        email: 'herald@webex.bot',
        displayName: 'Herald',
        type: 'bot',
        token: options.botToken,
      },
      {
        key: 'alice',
        org: 'acme',
        email: 'alice@acme.example',
        displayName: 'Alice',
        token: options.personToken,
      },
    ],
    rooms: [
      { key: 'alice-bot', title: 'Alice', type: 'direct', creator: 'alice', members: ['bot'] },
      ...Array.from({ length: options.spaces }, (_, i) => ({
        key: `${prefix}${i}`,
        title: `Space ${i}`,
        creator: 'alice',
        members: ['bot'],
      })),
    ],
  };
}
