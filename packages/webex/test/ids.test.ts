import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidIdError } from '../src/errors.js';
import {
  contentId,
  decodeId,
  encodeId,
  idClusterFromUrn,
  idToUuid,
  membershipId,
  sameId,
} from '../src/ids.js';

// Known ids. The MESSAGE one is computed in docs/protocol.md §6.2; the PEOPLE and ROOM ones are
// the examples of the public Webex Messaging API reference (docs/protocol.md §6.1, OAS).
const KNOWN = [
  {
    id: 'Y2lzY29zcGFyazovL3VzL01FU1NBR0UvOGU1YTFmNzAtMWIyYy0xMWVmLTlkM2UtNGY4YTJiNmM3ZDEw',
    type: 'MESSAGE',
    uuid: '8e5a1f70-1b2c-11ef-9d3e-4f8a2b6c7d10',
  },
  {
    id: 'Y2lzY29zcGFyazovL3VzL1BFT1BMRS9mNWIzNjE4Ny1jOGRkLTQ3MjctOGIyZi1mOWM0NDdmMjkwNDY',
    type: 'PEOPLE',
    uuid: 'f5b36187-c8dd-4727-8b2f-f9c447f29046',
  },
  {
    id: 'Y2lzY29zcGFyazovL3VzL1JPT00vYmJjZWIxYWQtNDNmMS0zYjU4LTkxNDctZjE0YmIwYzRkMTU0',
    type: 'ROOM',
    uuid: 'bbceb1ad-43f1-3b58-9147-f14bb0c4d154',
  },
] as const;

describe('ids', () => {
  for (const k of KNOWN) {
    it(`encodes and decodes the known ${k.type} id`, () => {
      assert.equal(encodeId(k.type, k.uuid), k.id);
      assert.deepEqual(decodeId(k.id), { cluster: 'us', type: k.type, uuid: k.uuid });
      assert.equal(idToUuid(k.id, k.type), k.uuid);
    });
  }

  it('accepts padded input and the standard alphabet (the PEOPLE id needs one "=")', () => {
    const people = KNOWN[1];
    assert.equal(idToUuid(`${people.id}=`, 'PEOPLE'), people.uuid);
    assert.ok(sameId(people.id, `${people.id}=`));
  });

  it('never emits padding or non-alphanumeric characters', () => {
    for (const type of ['PEOPLE', 'ROOM', 'MESSAGE', 'ORGANIZATION', 'WEBHOOK']) {
      const id = encodeId(type, crypto.randomUUID());
      assert.match(id, /^[A-Za-z0-9]+$/);
    }
  });

  it('is cluster-aware: rooms keep the cluster, people and orgs always use us', () => {
    const uuid = '11111111-2222-3333-4444-555555555555';
    const eu = encodeId('ROOM', uuid, 'urn:TEAM:eu-central-1_k');
    assert.deepEqual(decodeId(eu), { cluster: 'urn:TEAM:eu-central-1_k', type: 'ROOM', uuid });
    assert.equal(decodeId(encodeId('PEOPLE', uuid, 'urn:TEAM:eu-central-1_k'))?.cluster, 'us');
    assert.equal(decodeId(encodeId('ORGANIZATION', uuid, 'urn:TEAM:eu-central-1_k'))?.cluster, 'us');
  });

  it('maps catalog cluster URNs to id clusters', () => {
    assert.equal(idClusterFromUrn(undefined), 'us');
    assert.equal(idClusterFromUrn('urn:TEAM:us-east-2_a'), 'us');
    assert.equal(idClusterFromUrn('urn:TEAM:us-east-1_int13'), 'us');
    assert.equal(idClusterFromUrn('urn:TEAM:eu-central-1_k:conversation'), 'urn:TEAM:eu-central-1_k');
  });

  it('builds composite membership and content ids', () => {
    const person = 'aaaaaaaa-0000-0000-0000-000000000001';
    const room = 'bbbbbbbb-0000-0000-0000-000000000002';
    assert.equal(decodeId(membershipId(person, room))?.uuid, `${person}:${room}`);
    const content = decodeId(contentId(room, 0));
    assert.deepEqual(content, { cluster: 'us', type: 'CONTENT', uuid: `${room}/0` });
  });

  it('rejects what is not an id, and ids of another type', () => {
    for (const bad of [
      '',
      'abc',
      'not base64 !!',
      Buffer.from('https://example.com/x/y').toString('base64url'),
    ]) {
      assert.equal(decodeId(bad), undefined, bad);
      assert.throws(() => idToUuid(bad), InvalidIdError);
    }
    assert.throws(() => idToUuid(KNOWN[0].id, 'ROOM'), /expected a ROOM id, got a MESSAGE id/);
    // A bare base64 uuid (seen as orgId in a documented webhook example) is not a Hydra id.
    assert.equal(
      decodeId(Buffer.from('96abc2aa-3dcc-11e5-a152-fe34819cdc9a').toString('base64url')),
      undefined,
    );
  });

  it('sameId answers as decoding both would, for every spelling of an id and its near misses', () => {
    // The reference: equal when both decode to the same type, uuid and cluster.
    const decodedSame = (a: string, b: string) => {
      const da = decodeId(a);
      const db = decodeId(b);
      return !!da && !!db && da.type === db.type && da.uuid === db.uuid && da.cluster === db.cluster;
    };
    const standard = (id: string) => id.replace(/-/g, '+').replace(/_/g, '/');
    const padded = (id: string) => id + '='.repeat((4 - (id.length % 4)) % 4);
    const ids = [
      ...KNOWN.map((k) => k.id),
      encodeId('ROOM', 'bbceb1ad-43f1-3b58-9147-f14bb0c4d15'),
      encodeId('ROOM', 'bbceb1ad-43f1-3b58-9147-f14bb0c4d1'),
      encodeId('ROOM', '11111111-2222-3333-4444-555555555555', 'urn:TEAM:eu-central-1_k'),
      encodeId('ROOM', '11111111-2222-3333-4444-555555555555'),
      encodeId('MEMBERSHIP', 'a?b>c:d'),
    ];
    const spellings = new Set<string>();
    for (const id of ids) {
      for (const s of [id, padded(id), standard(id), padded(standard(id))]) {
        spellings.add(s);
        // Near misses: the last character changed (its unused bits, or used ones), one character
        // more or fewer, and a change before the end.
        for (const last of ['A', 'B', 'Q', 'g', 'w', '-', '_']) spellings.add(s.slice(0, -1) + last);
        spellings.add(`${s}A`);
        spellings.add(s.slice(0, -1));
        spellings.add(`${s.slice(0, 5)}${s[5] === 'A' ? 'B' : 'A'}${s.slice(6)}`);
      }
    }
    const all = [...spellings, 'not an id', '!!!!!!!!!!'];
    let same = 0;
    for (const a of all) {
      for (const b of all) {
        const expected = a === b || decodedSame(a, b);
        assert.equal(sameId(a, b), expected, `${a} vs ${b}`);
        if (expected && a !== b) same++;
      }
    }
    // The table holds pairs that are the same id spelled differently, not only different ids.
    assert.ok(same >= 50, `only ${same} differently spelled pairs`);
  });
});
