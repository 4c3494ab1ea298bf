import { describe, expect, it } from 'vitest';
import { ipv4, ipv6 } from '../../test-support/codec/address-bytes.ts';
import { decodePolicyDocument } from '../../test-support/codec/policy-decoder.ts';
import { RUST_POLICY_FIXTURE, TS_POLICY_FIXTURE } from '../../test-support/codec/policy-fixtures.ts';
import { crc32 } from './crc32.ts';
import { encodePolicyDocument } from './policy-encoder.ts';
import type { PolicyDocument, PolicyRule } from './policy-types.ts';

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

const RULE: PolicyRule = {
  tag: 0x11223344,
  action: 'drop',
  appDecides: true,
  direction: 'any',
  protocol: 6,
  portFrom: 80,
  portTo: 443,
  updatedAt: 0x0a0b0c0d,
  expiresAt: 1000,
  appPath: '/a',
  destination: { kind: 'cidr', ip: ipv4(192, 168, 0, 0), prefix: 16 },
};

const DOC: PolicyDocument = {
  generation: 0x0102030405060708n,
  caseInsensitivePaths: true,
  noAppAction: 'block',
  rules: [RULE],
};

const withRule = (fields: Partial<PolicyRule>): PolicyDocument => ({ ...DOC, rules: [{ ...RULE, ...fields }] });

describe('encodePolicyDocument', () => {
  it('writes the README layout, little-endian, with the CRC-32 of every byte before it', () => {
    const bytes = encodePolicyDocument(DOC);
    const header = '5a46504f4c494359' + '0100' + '0100' + '0807060504030201' + '04' + '000000' + '01000000';
    const rule =
      '44332211' + // tag
      '02' + // action drop
      '01' + // flags: the app decides
      '02' + // direction any
      '06' + // protocol
      '00' + // any_protocol
      '5000' + // port_from 80
      'bb01' + // port_to 443
      '0d0c0b0a00000000' + // updated_at
      'e803000000000000' + // expires_at 1000
      '0200' + // app_len
      '2f61' + // '/a'
      '04' + // dest_kind cidr
      '05' + // dest_len
      '10' + // prefix 16
      'c0a80000'; // 192.168.0.0
    expect(hex(bytes.subarray(0, -4))).toBe(header + rule);
    const crc = new DataView(bytes.buffer, bytes.byteOffset).getUint32(bytes.length - 4, true);
    expect(crc).toBe(crc32(bytes.subarray(0, -4)));
  });

  it('writes each destination kind, the flags off, any protocol, no expiry and any app', () => {
    const tail = (fields: Partial<PolicyRule>): string => {
      const bytes = encodePolicyDocument({ ...withRule({ appPath: null, ...fields }), caseInsensitivePaths: false });
      // dest_kind, dest_len and dest, after the 31 fixed bytes of the only rule (no app path).
      return hex(bytes.subarray(28 + 31, -4));
    };
    expect(tail({ destination: { kind: 'any' } })).toBe('0000');
    expect(tail({ destination: { kind: 'lan' } })).toBe('0100');
    expect(tail({ destination: { kind: 'localhost' } })).toBe('0200');
    expect(tail({ destination: { kind: 'ip', ip: ipv4(198, 51, 100, 7) } })).toBe('0304c6336407');
    expect(tail({ destination: { kind: 'ip', ip: ipv6(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1) } })).toBe(
      '031020010db8000000000000000000000001',
    );
    expect(tail({ destination: { kind: 'cidr', ip: ipv6(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0), prefix: 32 } })).toBe(
      '04112020010db8000000000000000000000000',
    );
    expect(tail({ destination: { kind: 'cidr', ip: ipv4(0, 0, 0, 0), prefix: 0 } })).toBe('04050000000000');
    expect(tail({ destination: { kind: 'host', name: 'a.b' } })).toBe('0503612e62');
    expect(tail({ destination: { kind: 'domain', suffix: 'ü.de' } })).toBe('0605c3bc2e6465');
    const bytes = encodePolicyDocument({
      ...withRule({ appDecides: false, protocol: null, expiresAt: null, appPath: null }),
      caseInsensitivePaths: false,
      noAppAction: 'accept',
    });
    expect(hex(bytes.subarray(10, 12))).toBe('0000');
    expect(bytes[20]).toBe(2);
    // flags, direction, protocol 0, any_protocol 1; expires_at 0; app_len 0.
    expect(hex(bytes.subarray(28 + 5, 28 + 9))).toBe('00020001');
    expect(hex(bytes.subarray(28 + 21, 28 + 31))).toBe('00000000000000000000');
    expect(encodePolicyDocument({ ...DOC, noAppAction: 'drop' })[20]).toBe(6);
  });

  it('writes an empty policy as a header and a checksum', () => {
    const bytes = encodePolicyDocument({ ...DOC, rules: [] });
    expect(bytes).toHaveLength(32);
    expect(decodePolicyDocument(bytes)).toEqual({ ...DOC, rules: [] });
  });

  it('round-trips the fixtures, which hold every destination kind', () => {
    for (const doc of [RUST_POLICY_FIXTURE, TS_POLICY_FIXTURE]) {
      expect(decodePolicyDocument(encodePolicyDocument(doc))).toEqual(doc);
      expect(new Set(doc.rules.map((rule) => rule.destination.kind))).toEqual(
        new Set(['any', 'lan', 'localhost', 'ip', 'cidr', 'host', 'domain']),
      );
    }
  });

  it('takes the limits themselves', () => {
    const edges = withRule({
      tag: 0xffffffff,
      protocol: 255,
      portFrom: 65535,
      portTo: 65535,
      updatedAt: Number.MAX_SAFE_INTEGER,
      expiresAt: 1,
      appPath: 'é'.repeat(2048),
      destination: { kind: 'host', name: 'x'.repeat(253) },
    });
    expect(decodePolicyDocument(encodePolicyDocument(edges))).toEqual(edges);
    const max = { ...DOC, generation: (1n << 64n) - 1n };
    expect(decodePolicyDocument(encodePolicyDocument(max)).generation).toBe((1n << 64n) - 1n);
  });

  it.each<[string, PolicyDocument, RegExp]>([
    ['generation 0', { ...DOC, generation: 0n }, /policy\.generation must be at least 1, got 0/],
    ['generation over u64', { ...DOC, generation: 1n << 64n }, /policy\.generation must be a bigint/],
    ['a number generation', { ...DOC, generation: 1 as unknown as bigint }, /policy\.generation/],
    ['a no-app action', { ...DOC, noAppAction: 'allow' as never }, /policy\.noAppAction must be accept, block or drop/],
    ['a no-app action from the prototype', { ...DOC, noAppAction: 'toString' as never }, /policy\.noAppAction/],
    ['a flag that is no boolean', { ...DOC, caseInsensitivePaths: 1 as never }, /caseInsensitivePaths/],
    ['rules that are no array', { ...DOC, rules: {} as never }, /policy\.rules must be an array/],
    ['a rule that is null', { ...DOC, rules: [null as never] }, /policy\.rules\[0\] must be a rule object/],
    // eslint-disable-next-line no-sparse-arrays -- the hole is what is tested
    ['a hole in the rules', { ...DOC, rules: [RULE, , RULE] as never }, /policy\.rules\[1\] must be a rule object/],
    ['a tag over u32', withRule({ tag: 2 ** 32 }), /policy\.rules\[0\]\.tag must be an integer in 0\.\.4294967295/],
    ['a negative tag', withRule({ tag: -1 }), /\.tag/],
    ['a fractional tag', withRule({ tag: 1.5 }), /\.tag/],
    [
      'a duplicate tag',
      { ...DOC, rules: [RULE, RULE] },
      /policy\.rules\[1\]\.tag 287454020 is used by an earlier rule/,
    ],
    ['an action', withRule({ action: 'accept' as never }), /\.action must be allow, block or drop, got "accept"/],
    ['a direction', withRule({ direction: 'both' as never }), /\.direction must be outbound, inbound or any/],
    ['appDecides', withRule({ appDecides: 'yes' as never }), /\.appDecides must be a boolean/],
    ['a protocol over u8', withRule({ protocol: 256 }), /\.protocol must be an integer in 0\.\.255/],
    ['a port over u16', withRule({ portTo: 65536 }), /\.portTo must be an integer in 0\.\.65535/],
    ['a negative port', withRule({ portFrom: -1 }), /\.portFrom/],
    ['a range that runs backwards', withRule({ portFrom: 444, portTo: 443 }), /portFrom 444 is above portTo 443/],
    ['a negative time', withRule({ updatedAt: -1 }), /\.updatedAt must be whole milliseconds in 0\.\./],
    ['a fractional time', withRule({ updatedAt: 1.5 }), /\.updatedAt/],
    ['a time past 2^53', withRule({ updatedAt: 2 ** 53 }), /\.updatedAt/],
    ['an expiry of 0 (never)', withRule({ expiresAt: 0 }), /\.expiresAt must be whole milliseconds in 1\.\./],
    ['an empty app path', withRule({ appPath: '' }), /\.appPath must not be empty \(null means any app\)/],
    ['an app path over 16384 bytes', withRule({ appPath: 'é'.repeat(8193) }), /\.appPath takes 16386 UTF-8 bytes/],
    ['a lone surrogate in a path', withRule({ appPath: '/a\ud800' }), /\.appPath holds a lone surrogate/],
    ['a path that is no string', withRule({ appPath: 5 as never }), /\.appPath must be a string/],
    [
      'an unknown destination kind',
      withRule({ destination: { kind: 'wan' } as never }),
      /\.destination\.kind must be one of any, lan, localhost, ip, cidr, host, domain, got "wan"/,
    ],
    ['no destination', withRule({ destination: null as never }), /\.destination must be a destination object/],
    [
      'an address of 3 bytes',
      withRule({ destination: { kind: 'ip', ip: Uint8Array.of(1, 2, 3) } }),
      /\.destination\.ip must be 4 or 16 address bytes, got 3 bytes/,
    ],
    ['a text address', withRule({ destination: { kind: 'ip', ip: '10.0.0.1' as never } }), /got string/],
    [
      'an IPv4 prefix of 33',
      withRule({ destination: { kind: 'cidr', ip: ipv4(10, 0, 0, 0), prefix: 33 } }),
      /\.destination\.prefix must be 0\.\.32 for an IPv4 network, got 33/,
    ],
    [
      'an IPv6 prefix of 129',
      withRule({ destination: { kind: 'cidr', ip: ipv6(0, 0, 0, 0, 0, 0, 0, 0), prefix: 129 } }),
      /\.destination\.prefix must be 0\.\.128/,
    ],
    [
      'a negative prefix',
      withRule({ destination: { kind: 'cidr', ip: ipv6(0, 0, 0, 0, 0, 0, 0, 0), prefix: -1 } }),
      /\.destination\.prefix must be an integer/,
    ],
    [
      'IPv4 host bits',
      withRule({ destination: { kind: 'cidr', ip: ipv4(10, 0, 0, 1), prefix: 8 } }),
      /the network of prefix 8 has host bits set/,
    ],
    [
      'IPv6 host bits',
      withRule({ destination: { kind: 'cidr', ip: ipv6(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1), prefix: 127 } }),
      /the network of prefix 127 has host bits set/,
    ],
    [
      'an empty host',
      withRule({ destination: { kind: 'host', name: '' } }),
      /\.name must take 1\.\.253 UTF-8 bytes, got 0/,
    ],
    [
      'a host over 253 bytes',
      withRule({ destination: { kind: 'host', name: 'é'.repeat(127) } }),
      /\.name must take 1\.\.253 UTF-8 bytes, got 254/,
    ],
    [
      'a capital',
      withRule({ destination: { kind: 'host', name: 'Example.com' } }),
      /\.name must be lowercase without a trailing dot, got "Example\.com"/,
    ],
    [
      'a trailing dot',
      withRule({ destination: { kind: 'domain', suffix: 'example.com.' } }),
      /\.suffix must be lowercase/,
    ],
    [
      "a domain written as '*.'",
      withRule({ destination: { kind: 'domain', suffix: '*.example.com' } }),
      /\.suffix is the name below '\*\.': write example\.com/,
    ],
    [
      'a name that is no string',
      withRule({ destination: { kind: 'host', name: 7 as never } }),
      /\.name must be a string/,
    ],
  ])('throws a RangeError for %s', (_name, doc, message) => {
    expect(() => encodePolicyDocument(doc)).toThrow(RangeError);
    expect(() => encodePolicyDocument(doc)).toThrow(message);
  });

  it('refuses more than 1 000 000 rules before looking at any', () => {
    // One object a million times: were the rules checked first, the duplicate tag would be named.
    const rules = new Array<PolicyRule>(1_000_001).fill(RULE);
    expect(() => encodePolicyDocument({ ...DOC, rules })).toThrow(
      /policy\.rules holds 1000001 rules, at most 1000000 fit a document/,
    );
  });

  it('refuses a document over 16 MiB, which a driver would drop', () => {
    const path = `/${'x'.repeat(4095)}`;
    const rules = Array.from({ length: 4096 }, (_, tag) => ({ ...RULE, tag, appPath: path }));
    // 4096 rules of 31 + 4096 + 2 + 5 bytes, header and checksum: 16 932 896 bytes.
    expect(() => encodePolicyDocument({ ...DOC, rules })).toThrow(
      /the policy document would take 16932896 bytes, a driver takes at most 16777216/,
    );
    const fits = rules.slice(0, 4000);
    expect(encodePolicyDocument({ ...DOC, rules: fits })).toHaveLength(32 + 4000 * 4134);
  });
});
