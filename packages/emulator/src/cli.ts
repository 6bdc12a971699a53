#!/usr/bin/env node
/**
 * `herald-emulator --seed FILE|demo --port N [--host H] [--random-seed N] [--control-token T]`:
 * starts the emulator and prints its URL and the seeded people with their tokens.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startEmulator } from './server.js';
import type { Seed } from './state/types.js';

const USAGE = `usage: herald-emulator [--seed FILE|demo] [--port N] [--host H] [--random-seed N] [--control-token T]`;

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      seed: { type: 'string' },
      port: { type: 'string', default: '8787' },
      host: { type: 'string', default: '127.0.0.1' },
      'random-seed': { type: 'string', default: '1' },
      'control-token': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port: not a port number: ${values.port}`);
  let seed: Seed | 'demo' | undefined;
  if (values.seed === 'demo') seed = 'demo';
  else if (values.seed !== undefined) seed = JSON.parse(readFileSync(values.seed, 'utf8')) as Seed;
  const emulator = await startEmulator({
    port,
    host: values.host,
    seed,
    randomSeed: Number(values['random-seed']),
    controlToken: values['control-token'],
  });
  console.log(
    `Herald emulator listening on ${emulator.url}  (REST ${emulator.url}/v1, control ${emulator.url}/_emulator/)`,
  );
  const people = emulator.control.people();
  if (people.length > 0) {
    console.log('\nPeople (key, e-mail, type, org, token):');
    for (const p of people) {
      console.log(
        `  ${(p.key ?? '-').padEnd(8)} ${p.email.padEnd(24)} ${p.type.padEnd(6)} ${(p.orgName ?? '').padEnd(8)} ${p.token}`,
      );
    }
    console.log(`\n${emulator.control.rooms().length} rooms; list them at ${emulator.url}/_emulator/rooms`);
  }
  const shutdown = () => {
    void emulator.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

/** The real path of the script node was started with ('' when there is none). */
function startedScript(): string {
  try {
    return process.argv[1] ? realpathSync(process.argv[1]) : '';
  } catch {
    return '';
  }
}

// Run as a command: the installed bin (npm links it, so real paths are compared) or the sources.
if (startedScript() === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    console.error(USAGE);
    process.exit(1);
  });
}
