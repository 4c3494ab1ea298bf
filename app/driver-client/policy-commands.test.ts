import { describe, expect, it } from 'vitest';
import { MAX_POLICY_LENGTH, type PolicyPartCommand } from '../../native/src/index.ts';
import { decodePolicyDocument } from '../../native/test-support/codec/policy-decoder.ts';
import type { DriverPolicy, DriverPolicyDestination } from '../contract/driver-policy.ts';
import { fittedBlocklist, policyCommands, policyDocument, preparedBlocklist, RULES_SLACK } from './policy-commands.ts';

/** The document the parts carry, put back together. */
function joinParts(parts: readonly PolicyPartCommand[]): Uint8Array {
  const bytes = new Uint8Array(parts[0]?.totalLength ?? 0);
  for (const part of parts) bytes.set(part.data, part.offset);
  return bytes;
}

function policyTo(...destinations: DriverPolicyDestination[]): DriverPolicy {
  return {
    generation: 1n,
    noAppAction: 'allow',
    caseInsensitivePaths: false,
    rules: destinations.map((destination, i) => ({
      tag: i + 1,
      action: 'block',
      appDecides: false,
      direction: 'outbound',
      protocol: null,
      portFrom: 0,
      portTo: 65535,
      updatedAt: 0,
      expiresAt: null,
      appPath: null,
      destination,
    })),
  };
}

describe('policyDocument: the contract text addresses to the codec bytes', () => {
  it('gives ip and cidr destinations as bytes, IPv4-mapped ones as IPv4, and the rest as they are', () => {
    const document = policyDocument(
      policyTo(
        { kind: 'ip', ip: '2001:db8::1' },
        { kind: 'ip', ip: '::ffff:192.0.2.7' },
        { kind: 'cidr', ip: '10.0.0.0', prefix: 8 },
        { kind: 'cidr', ip: '::ffff:10.0.0.0', prefix: 104 },
        { kind: 'host', name: 'a.test' },
      ),
    );
    expect(document.rules.map((rule) => rule.destination)).toEqual([
      { kind: 'ip', ip: Uint8Array.of(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1) },
      { kind: 'ip', ip: Uint8Array.of(192, 0, 2, 7) },
      { kind: 'cidr', ip: Uint8Array.of(10, 0, 0, 0), prefix: 8 },
      { kind: 'cidr', ip: Uint8Array.of(10, 0, 0, 0), prefix: 8 },
      { kind: 'host', name: 'a.test' },
    ]);
  });

  it('refuses text that is not an address or a network with a RangeError naming the rule', () => {
    expect(() => policyDocument(policyTo({ kind: 'ip', ip: '10.0.0' }))).toThrow(
      new RangeError('rules[0].destination.ip: "10.0.0" is not an IP address'),
    );
    expect(() => policyDocument(policyTo({ kind: 'any' }, { kind: 'cidr', ip: '10.0.0.0', prefix: 33 }))).toThrow(
      new RangeError('rules[1].destination: "10.0.0.0/33" is not a network'),
    );
  });
});

describe('fittedBlocklist: the lists as far as one document carries them', () => {
  it('keeps every network and the names that fit, in order, and says when nothing fits', () => {
    const networks = [{ bytes: Uint8Array.of(10, 0, 0, 0), prefix: 8 }];
    const all = fittedBlocklist({ names: ['a.example', 'b.example'], networks }, 100);
    expect(all).toEqual({ names: ['a.example', 'b.example'], networks: [{ ip: networks[0]?.bytes, prefix: 8 }] });
    // Room for the counts (8), the network (2 + 4) and one name of 1 + 9 bytes only.
    const one = fittedBlocklist({ names: ['a.example', 'b.example'], networks }, MAX_POLICY_LENGTH - 8 - 6 - 10);
    expect(one?.names).toEqual(['a.example']);
    expect(fittedBlocklist({ names: ['a.example'], networks: [] }, MAX_POLICY_LENGTH)).toBeUndefined();
    expect(fittedBlocklist({ names: [], networks: [] }, 100)).toBeUndefined();
  });

  it('gives the driver a document it reads back with the lists', () => {
    const commands = policyCommands({
      generation: 7n,
      noAppAction: 'block',
      caseInsensitivePaths: false,
      rules: [],
      blocklist: { names: ['ads.example.com'], networks: [{ bytes: Uint8Array.of(192, 0, 2, 0), prefix: 24 }] },
    });
    const document = decodePolicyDocument(joinParts(commands));
    expect(document.blocklist).toEqual({
      names: ['ads.example.com'],
      networks: [{ ip: Uint8Array.of(192, 0, 2, 0), prefix: 24 }],
    });
  });
});

describe('preparedBlocklist: the lists section made once per lists object', () => {
  const names = Array.from({ length: 2_000 }, (_, i) => `n${String(i)}.example`);
  const lists = { names, networks: [{ bytes: Uint8Array.of(10, 0, 0, 0), prefix: 8 }] };

  it('gives the same prepared section while it fits beside the rules, and a new one for new lists', () => {
    const first = preparedBlocklist(lists, 1_000);
    expect(first?.nameCount).toBe(2_000);
    expect(preparedBlocklist(lists, 50_000)).toBe(first);
    // The same entries in a new object (the lists changed): made again.
    const again = preparedBlocklist({ ...lists }, 1_000);
    expect(again).not.toBe(first);
    expect(again?.section).toEqual(first?.section);
  });

  it('cuts lists that do not fit with room to spare for more rules, then keeps that cut while it fits', () => {
    const many = Array.from({ length: 60_000 }, (_, i) => `name${String(i)}.example`);
    const big = { names: many, networks: [] };
    // Rules that leave room for about half the names (some 450 KiB).
    const section = many.reduce((n, name) => n + 1 + name.length, 8);
    const rules = MAX_POLICY_LENGTH - Math.floor(section / 2);
    const cut = preparedBlocklist(big, rules);
    if (cut === undefined) throw new Error('nothing fits');
    expect(cut.nameCount).toBeLessThan(30_000);
    expect(cut.nameCount).toBeGreaterThan(0);
    expect(rules + RULES_SLACK + cut.section.length).toBeLessThanOrEqual(MAX_POLICY_LENGTH);
    // A few more rules: the same section.
    expect(preparedBlocklist(big, rules + 10_000)).toBe(cut);
    // Rules past the room spared: cut again, shorter.
    const shorter = preparedBlocklist(big, rules + RULES_SLACK + 10_000);
    expect(shorter).not.toBe(cut);
    expect(shorter?.nameCount).toBeLessThan(cut.nameCount);
    // Rules deleted, far more room: cut again, longer (the driver holds what fits).
    const longer = preparedBlocklist(big, rules - 4 * RULES_SLACK);
    expect(longer?.nameCount).toBeGreaterThan(cut.nameCount);
    // And a list that fits whole stays as it is however the rules change.
    const whole = preparedBlocklist(lists, 1_000);
    expect(preparedBlocklist(lists, 5 * RULES_SLACK)).toBe(whole);
  });

  it('policyCommands sends documents with the prepared section that decode to the lists', () => {
    const policy = { ...policyTo({ kind: 'any' }), blocklist: lists };
    const decoded = decodePolicyDocument(joinParts(policyCommands(policy)));
    expect(decoded.blocklist?.names).toEqual(names);
    const next = decodePolicyDocument(joinParts(policyCommands({ ...policy, generation: 2n })));
    expect(next.generation).toBe(2n);
    expect(next.blocklist?.names).toEqual(names);
  });
});
