import { describe, expect, it } from 'vitest';
import { ipv4, ipv6 } from '../../test-support/codec/address-bytes.ts';
import { decodePolicyDocument } from '../../test-support/codec/policy-decoder.ts';
import { RUST_POLICY_LISTS_FIXTURE, TS_POLICY_LISTS_FIXTURE } from '../../test-support/codec/policy-fixtures.ts';
import { blocklistSectionSize, prepareBlocklist } from './policy-blocklist.ts';
import { encodePolicyDocument } from './policy-encoder.ts';
import { MAX_POLICY_LENGTH } from './policy-format.ts';
import type { BlockedNetwork, PolicyBlocklist, PolicyDocument } from './policy-types.ts';

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

const DOC: PolicyDocument = { generation: 5n, caseInsensitivePaths: true, noAppAction: 'accept', rules: [] };

const LISTS: PolicyBlocklist = {
  names: ['ab.c', 'ü.de'],
  networks: [
    { ip: ipv4(10, 0, 0, 0), prefix: 8 },
    { ip: ipv6(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0), prefix: 32 },
  ],
};

const withLists = (blocklist: PolicyBlocklist): PolicyDocument => ({ ...DOC, blocklist });

describe('the blocklist section of encodePolicyDocument', () => {
  it('writes flag bit 1 and the README layout after the rules', () => {
    const bytes = encodePolicyDocument(withLists(LISTS));
    expect(hex(bytes.subarray(10, 12))).toBe('0300');
    const section =
      '02000000' + // name_count
      '02000000' + // network_count
      '04' +
      hex(new TextEncoder().encode('ab.c')) +
      '05' +
      'c3bc2e6465' + // ü.de
      '04' + // family 4
      '08' + // prefix 8
      '0a000000' +
      '06' + // family 6
      '20' + // prefix 32
      '20010db8000000000000000000000000';
    // 28 header bytes and no rules: the section starts at once.
    expect(hex(bytes.subarray(28, -4))).toBe(section);
    expect(bytes).toHaveLength(28 + section.length / 2 + 4);
  });

  it('writes no section, and the bytes of before, without lists or with empty ones', () => {
    const plain = encodePolicyDocument(DOC);
    expect(hex(plain.subarray(10, 12))).toBe('0100');
    expect(encodePolicyDocument(withLists({ names: [], networks: [] }))).toEqual(plain);
    const decoded = decodePolicyDocument(plain);
    expect(decoded).toEqual(DOC);
    expect('blocklist' in decoded).toBe(false);
  });

  it('round-trips names only, networks only, duplicates and the fixtures', () => {
    const cases: PolicyBlocklist[] = [
      { names: ['x'], networks: [] },
      { names: [], networks: [{ ip: ipv4(0, 0, 0, 0), prefix: 0 }] },
      { names: ['a.b', 'a.b', 'x'.repeat(253)], networks: [LISTS.networks[0] as BlockedNetwork, ...LISTS.networks] },
    ];
    for (const blocklist of cases) {
      expect(decodePolicyDocument(encodePolicyDocument(withLists(blocklist)))).toEqual(withLists(blocklist));
    }
    for (const doc of [RUST_POLICY_LISTS_FIXTURE, TS_POLICY_LISTS_FIXTURE]) {
      expect(decodePolicyDocument(encodePolicyDocument(doc))).toEqual(doc);
    }
  });

  it.each<[string, unknown, RegExp]>([
    ['lists that are no object', 'ads.example', /policy\.blocklist must be an object with names and networks/],
    ['lists that are null', null, /policy\.blocklist must be an object/],
    ['names that are no array', { names: 'a', networks: [] }, /policy\.blocklist\.names must be an array/],
    ['networks that are no array', { names: [], networks: {} }, /policy\.blocklist\.networks must be an array/],
    [
      'more than 4 000 000 names',
      { names: new Array<string>(4_000_001), networks: [] },
      /policy\.blocklist\.names holds 4000001 names, at most 4000000 fit a document/,
    ],
    [
      'more than 1 000 000 networks',
      { names: [], networks: new Array<BlockedNetwork>(1_000_001) },
      /policy\.blocklist\.networks holds 1000001 networks, at most 1000000 fit a document/,
    ],
    ['an empty name', { names: ['a', ''], networks: [] }, /names\[1\] must take 1\.\.253 UTF-8 bytes, got 0/],
    [
      'a name over 253 bytes',
      { names: ['é'.repeat(127)], networks: [] },
      /names\[0\] must take 1\.\.253 UTF-8 bytes, got 254/,
    ],
    ['a capital', { names: ['Ads.example'], networks: [] }, /names\[0\] must be lowercase without a trailing dot/],
    [
      'a trailing dot',
      { names: ['ads.example.'], networks: [] },
      /names\[0\] must be lowercase without a trailing dot/,
    ],
    [
      "a leading '*.'",
      { names: ['*.ads.example'], networks: [] },
      /names\[0\] lists the names below it: write ads\.example/,
    ],
    ['a lone surrogate', { names: ['a\ud800'], networks: [] }, /names\[0\] holds a lone surrogate/],
    ['a name that is no string', { names: [7], networks: [] }, /names\[0\] must be a string, got number/],
    // eslint-disable-next-line no-sparse-arrays -- the hole is what is tested
    ['a hole in the names', { names: ['a', , 'b'], networks: [] }, /names\[1\] must be a string, got undefined/],
    [
      'a network that is null',
      { names: [], networks: [null] },
      /networks\[0\]\.ip must be 4 or 16 address bytes, got undefined/,
    ],
    [
      'an address of 5 bytes',
      { names: [], networks: [{ ip: Uint8Array.of(1, 2, 3, 4, 5), prefix: 8 }] },
      /networks\[0\]\.ip must be 4 or 16 address bytes, got 5 bytes/,
    ],
    [
      'a text address',
      { names: [], networks: [{ ip: '10.0.0.0', prefix: 8 }] },
      /networks\[0\]\.ip must be 4 or 16 address bytes, got string/,
    ],
    [
      'an IPv4 prefix of 33',
      { names: [], networks: [{ ip: ipv4(10, 0, 0, 0), prefix: 33 }] },
      /networks\[0\]\.prefix must be 0\.\.32 for an IPv4 network, got 33/,
    ],
    [
      'an IPv6 prefix of 129',
      { names: [], networks: [{ ip: ipv6(0, 0, 0, 0, 0, 0, 0, 0), prefix: 129 }] },
      /networks\[0\]\.prefix must be 0\.\.128 for an IPv6 network, got 129/,
    ],
    [
      'a fractional prefix',
      { names: [], networks: [{ ip: ipv4(10, 0, 0, 0), prefix: 8.5 }] },
      /networks\[0\]\.prefix must be 0\.\.32/,
    ],
    [
      'IPv4 host bits',
      { names: [], networks: [{ ip: ipv4(10, 0, 0, 1), prefix: 31 }] },
      /networks\[0\]: the network of prefix 31 has host bits set/,
    ],
    [
      'IPv6 host bits',
      { names: [], networks: [{ ip: ipv6(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1), prefix: 64 }] },
      /networks\[0\]: the network of prefix 64 has host bits set/,
    ],
  ])('throws a RangeError for %s', (_name, blocklist, message) => {
    const doc = { ...DOC, blocklist: blocklist as PolicyBlocklist };
    expect(() => encodePolicyDocument(doc)).toThrow(RangeError);
    expect(() => encodePolicyDocument(doc)).toThrow(message);
  });

  it('refuses lists that take the document over 16 MiB, and takes them when they fit', () => {
    const name = 'a'.repeat(253);
    // 66 052 names of 254 bytes, 28 + 4 + 8 more: 16 777 248 bytes.
    const over = { names: new Array<string>(66_052).fill(name), networks: [] };
    expect(() => encodePolicyDocument(withLists(over))).toThrow(
      /the policy document would take 16777248 bytes, a driver takes at most 16777216/,
    );
    const fits = { names: over.names.slice(1), networks: [] };
    expect(encodePolicyDocument(withLists(fits))).toHaveLength(16_777_248 - 254);
  });
});

describe('blocklistSectionSize', () => {
  it('is the number of bytes the section adds to a document, 0 when there is nothing to list', () => {
    const plain = encodePolicyDocument(DOC).length;
    for (const doc of [withLists(LISTS), RUST_POLICY_LISTS_FIXTURE, TS_POLICY_LISTS_FIXTURE]) {
      const lists = doc.blocklist ?? { names: [], networks: [] };
      const without = encodePolicyDocument({ ...doc, blocklist: { names: [], networks: [] } }).length;
      expect(blocklistSectionSize(lists.names, lists.networks)).toBe(encodePolicyDocument(doc).length - without);
    }
    expect(blocklistSectionSize([], [])).toBe(0);
    expect(blocklistSectionSize(['ü'], [])).toBe(8 + 1 + 2);
    expect(blocklistSectionSize([], [{ ip: ipv6(0, 0, 0, 0, 0, 0, 0, 0), prefix: 0 }])).toBe(8 + 18);
    // What the budget compares with: the rest of the document and the section within 16 MiB.
    expect(plain + blocklistSectionSize(LISTS.names, LISTS.networks)).toBeLessThanOrEqual(MAX_POLICY_LENGTH);
  });

  it('throws a RangeError where there is no size to give', () => {
    expect(() => blocklistSectionSize(['a\udc00'], [])).toThrow(/names\[0\] holds a lone surrogate/);
    expect(() => blocklistSectionSize([1 as never], [])).toThrow(/names\[0\] must be a string/);
    expect(() => blocklistSectionSize([], [{ ip: new Uint8Array(3), prefix: 0 }])).toThrow(
      /networks\[0\]\.ip must be 4 or 16 address bytes, got 3 bytes/,
    );
  });
});

describe('prepareBlocklist', () => {
  it('makes the same document bytes as the plain lists, in documents with other rules too', () => {
    const section = prepareBlocklist(LISTS);
    if (section === null) throw new Error('nothing prepared');
    expect(section).toMatchObject({ kind: 'prepared-blocklist', nameCount: 2, networkCount: 2 });
    expect(section.section).toHaveLength(blocklistSectionSize(LISTS.names, LISTS.networks));
    expect(encodePolicyDocument({ ...DOC, blocklist: section })).toEqual(encodePolicyDocument(withLists(LISTS)));
    const other: PolicyDocument = { ...DOC, generation: 77n, caseInsensitivePaths: false, noAppAction: 'drop' };
    expect(encodePolicyDocument({ ...other, blocklist: section })).toEqual(
      encodePolicyDocument({ ...other, blocklist: LISTS }),
    );
  });

  it('refuses what the encoder refuses, and gives nothing for empty lists', () => {
    expect(prepareBlocklist({ names: [], networks: [] })).toBeNull();
    expect(() => prepareBlocklist({ names: ['Upper.case'], networks: [] })).toThrow(RangeError);
    expect(() => prepareBlocklist({ names: [], networks: [{ ip: ipv4(10, 0, 0, 1), prefix: 8 }] })).toThrow(RangeError);
  });
});
