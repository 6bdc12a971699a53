// Test helper (not a test file): a library KmsClient wired to the emulator's KMS in memory.
import { randomUUID } from 'node:crypto';
import { EmulatorKms } from '../../emulator/src/mercury/kms.js';
import type { FetchLike } from '../src/mercury/http.js';
import { KmsClient, type KmsClientOptions } from '../src/mercury/kms.js';
import { compileUrlPolicy } from '../src/mercury/urls.js';

export const TOKEN = 'alice_token_org1';
export const USER = randomUUID();
export const ROOM_KEY = 'kms://kms.example.test/keys/room-1';

export function harness(opts: Partial<KmsClientOptions> & { members?: Set<string> } = {}) {
  const members = opts.members ?? new Set([USER]);
  const kms = new EmulatorKms({
    host: 'kms.example.test',
    now: Date.now,
    personIdByToken: (t) => (t === TOKEN ? USER : undefined),
    keyAccess: (p, k) => (k !== ROOM_KEY ? 'unknown' : members.has(p) ? 'member' : 'forbidden'),
  });
  let client: KmsClient | undefined;
  const posts: unknown[] = [];
  const fetch: FetchLike = async (url, init) => {
    const u = new URL(url);
    const auth = init.headers.authorization;
    const respond = (status: number, body: unknown) => ({
      status,
      headers: { get: () => null },
      text: async () => (body === undefined ? '' : JSON.stringify(body)),
    });
    if (auth !== `Bearer ${TOKEN}`) return respond(401, { message: 'bad token' });
    if (init.method === 'GET' && u.pathname === `/encryption/api/v1/kms/${USER}`)
      return respond(200, kms.details());
    if (init.method === 'POST' && u.pathname === '/encryption/api/v1/kms/messages') {
      const body = JSON.parse(String(init.body ?? '{}')) as { kmsMessages: string[] };
      posts.push(body);
      kms.submit({ personId: USER, token: TOKEN }, body.kmsMessages, (_p, replies) =>
        client?.handleKmsMessages(replies),
      );
      return respond(202, undefined);
    }
    return respond(404, { message: 'not found' });
  };
  client = testKmsClient(TOKEN, USER, fetch, 5000, opts);
  return { kms, client, posts };
}

/** A KmsClient of `userId` whose HTTP calls go to `fetch`, trusting the test KMS host. */
export function testKmsClient(
  token: string,
  userId: string,
  fetch: FetchLike,
  timeoutMs: number,
  opts: Partial<KmsClientOptions> = {},
): KmsClient {
  return new KmsClient({
    http: { token, fetch, timeoutMs },
    encryptionServiceUrl: 'https://encryption-a.wbx2.com/encryption/api/v1',
    userId,
    deviceUrl: 'https://wdm-a.wbx2.com/wdm/api/v1/devices/dev-1',
    urlPolicy: compileUrlPolicy(['https://kms.example.test']),
    ...opts,
  });
}
