/** The world most library tests need: org `acme`, the bot, one person, and that person's 1-1 with the bot. */
import { type Seed, seedBot, seedBotDirect, seedOrg, seedPerson } from '@herald/emulator';

/** The person keyed `person` is `<person>@acme.example`; the 1-1 space is `<person>-bot`, titled `displayName`. */
export function directSeed(botToken: string, person: string, displayName: string, personToken: string): Seed {
  return {
    orgs: [seedOrg('acme', 'Acme')],
    people: [seedBot(botToken), seedPerson(person, 'acme', displayName, personToken)],
    rooms: [seedBotDirect(person, displayName)],
  };
}
