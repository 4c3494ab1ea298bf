import { describe, expect, it } from 'vitest';
import { crc32 } from '../../src/codec/crc32.ts';
import { encodePolicyDocument } from '../../src/codec/policy-encoder.ts';
import type { PolicyRule } from '../../src/codec/policy-types.ts';
import { ipv4, ipv6 } from './address-bytes.ts';
import { decodePolicyDocument, PolicyDecodeError, type PolicyDecodeReason } from './policy-decoder.ts';
import { RUST_POLICY_FIXTURE } from './policy-fixtures.ts';

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

/** The raw fields of one rule; any value, valid or not, and lengths that may lie. */
interface RawRule {
  tag: number;
  action: number;
  flags: number;
  direction: number;
  protocol: number;
  anyProtocol: number;
  portFrom: number;
  portTo: number;
  updatedAt: bigint;
  expiresAt: bigint;
  app: Uint8Array;
  appLength?: number;
  destKind: number;
  dest: Uint8Array;
  destLength?: number;
}

const RAW: RawRule = {
  tag: 7,
  action: 1,
  flags: 0,
  direction: 0,
  protocol: 6,
  anyProtocol: 0,
  portFrom: 443,
  portTo: 443,
  updatedAt: 1000n,
  expiresAt: 0n,
  app: utf8('/a'),
  destKind: 3,
  dest: Uint8Array.of(10, 0, 0, 1),
};

/** What RAW decodes to. */
const RULE: PolicyRule = {
  tag: 7,
  action: 'block',
  appDecides: false,
  direction: 'outbound',
  protocol: 6,
  portFrom: 443,
  portTo: 443,
  updatedAt: 1000,
  expiresAt: null,
  appPath: '/a',
  destination: { kind: 'ip', ip: ipv4(10, 0, 0, 1) },
};

function rawRule(fields: Partial<RawRule> = {}): Uint8Array {
  const r = { ...RAW, ...fields };
  const bytes = new Uint8Array(31 + r.app.length + 2 + r.dest.length);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, r.tag, true);
  bytes.set([r.action, r.flags, r.direction, r.protocol, r.anyProtocol], 4);
  view.setUint16(9, r.portFrom, true);
  view.setUint16(11, r.portTo, true);
  view.setBigUint64(13, r.updatedAt, true);
  view.setBigUint64(21, r.expiresAt, true);
  view.setUint16(29, r.appLength ?? r.app.length, true);
  bytes.set(r.app, 31);
  bytes.set([r.destKind, r.destLength ?? r.dest.length], 31 + r.app.length);
  bytes.set(r.dest, 33 + r.app.length);
  return bytes;
}

interface RawHeader {
  format: number;
  flags: number;
  generation: bigint;
  noAppAction: number;
  reserved: readonly number[];
  count?: number;
}

/** A document of raw parts: header fields, rule bytes back to back, then extra bytes and the CRC. */
function rawDocument(rules: readonly Uint8Array[], header: Partial<RawHeader> = {}, extra = new Uint8Array(0)) {
  const h: RawHeader = { format: 1, flags: 0, generation: 5n, noAppAction: 4, reserved: [0, 0, 0], ...header };
  const length = 28 + rules.reduce((sum, rule) => sum + rule.length, 0) + extra.length + 4;
  const bytes = new Uint8Array(length);
  const view = new DataView(bytes.buffer);
  bytes.set(utf8('ZFPOLICY'));
  view.setUint16(8, h.format, true);
  view.setUint16(10, h.flags, true);
  view.setBigUint64(12, h.generation, true);
  bytes.set([h.noAppAction, ...h.reserved], 20);
  view.setUint32(24, h.count ?? rules.length, true);
  let at = 28;
  for (const rule of [...rules, extra]) {
    bytes.set(rule, at);
    at += rule.length;
  }
  view.setUint32(at, crc32(bytes.subarray(0, at)), true);
  return bytes;
}

function decodeError(bytes: Uint8Array): PolicyDecodeError {
  try {
    decodePolicyDocument(bytes);
  } catch (error) {
    if (error instanceof PolicyDecodeError) return error;
    throw error;
  }
  throw new Error('decodePolicyDocument did not throw');
}

function expectRefused(bytes: Uint8Array, reason: PolicyDecodeReason, message: RegExp): void {
  const error = decodeError(bytes);
  expect({ reason: error.reason, message: error.message }).toEqual({ reason, message: expect.stringMatching(message) });
  expect(error.name).toBe('PolicyDecodeError');
}

// The first rule starts at byte 28; RAW's app path is 2 bytes, so its dest_kind is at 61.
const R = 28;
const KIND_AT = R + 31 + 2;

describe('decodePolicyDocument', () => {
  it('decodes the raw layout', () => {
    expect(decodePolicyDocument(rawDocument([rawRule()]))).toEqual({
      generation: 5n,
      caseInsensitivePaths: false,
      noAppAction: 'block',
      rules: [RULE],
    });
    expect(decodePolicyDocument(rawDocument([], { flags: 1, noAppAction: 2, generation: 1n }))).toEqual({
      generation: 1n,
      caseInsensitivePaths: true,
      noAppAction: 'accept',
      rules: [],
    });
    expect(decodePolicyDocument(rawDocument([], { noAppAction: 6 })).noAppAction).toBe('drop');
  });

  it('decodes each field value', () => {
    const one = (fields: Partial<RawRule>): PolicyRule => {
      const [rule] = decodePolicyDocument(rawDocument([rawRule(fields)])).rules;
      if (rule === undefined) throw new Error('no rule');
      return rule;
    };
    expect(one({ action: 0, flags: 1, direction: 2 })).toMatchObject({
      action: 'allow',
      appDecides: true,
      direction: 'any',
    });
    expect(one({ action: 2, direction: 1 })).toMatchObject({ action: 'drop', direction: 'inbound' });
    // The protocol byte is ignored when any_protocol is set.
    expect(one({ protocol: 17, anyProtocol: 1 }).protocol).toBeNull();
    expect(one({ protocol: 0, anyProtocol: 0 }).protocol).toBe(0);
    expect(one({ expiresAt: 1n, updatedAt: BigInt(Number.MAX_SAFE_INTEGER) })).toMatchObject({
      expiresAt: 1,
      updatedAt: Number.MAX_SAFE_INTEGER,
    });
    expect(one({ app: new Uint8Array(0) }).appPath).toBeNull();
    // A leading BOM stays text, as in the Rust decoder.
    expect(one({ app: Uint8Array.of(0xef, 0xbb, 0xbf, 0x61) }).appPath).toBe('\ufeffa');
    expect(one({ app: new Uint8Array(4096).fill(0x61) }).appPath).toHaveLength(4096);
    const dest = (destKind: number, ...bytes: number[]): PolicyRule['destination'] =>
      one({ destKind, dest: Uint8Array.from(bytes) }).destination;
    expect(dest(0)).toEqual({ kind: 'any' });
    expect(dest(1)).toEqual({ kind: 'lan' });
    expect(dest(2)).toEqual({ kind: 'localhost' });
    expect(dest(3, 0x20, 1, 0xd, 0xb8, ...new Array<number>(11).fill(0), 1)).toEqual({
      kind: 'ip',
      ip: ipv6(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1),
    });
    expect(dest(3, ...new Array<number>(10).fill(0), 0xff, 0xff, 1, 2, 3, 4)).toEqual({
      kind: 'ip',
      ip: ipv6(0, 0, 0, 0, 0, 0xffff, 0x102, 0x304),
    });
    expect(dest(4, 12, 172, 16, 0, 0)).toEqual({ kind: 'cidr', ip: ipv4(172, 16, 0, 0), prefix: 12 });
    expect(dest(4, 0, 0, 0, 0, 0)).toEqual({ kind: 'cidr', ip: ipv4(0, 0, 0, 0), prefix: 0 });
    expect(dest(4, 32, 1, 2, 3, 4)).toEqual({ kind: 'cidr', ip: ipv4(1, 2, 3, 4), prefix: 32 });
    expect(dest(4, 128, ...new Array<number>(15).fill(0), 1)).toEqual({
      kind: 'cidr',
      ip: ipv6(0, 0, 0, 0, 0, 0, 0, 1),
      prefix: 128,
    });
    expect(dest(4, 0, ...new Array<number>(16).fill(0))).toEqual({
      kind: 'cidr',
      ip: ipv6(0, 0, 0, 0, 0, 0, 0, 0),
      prefix: 0,
    });
    expect(dest(5, ...utf8('a.example'))).toEqual({ kind: 'host', name: 'a.example' });
    expect(dest(6, ...utf8('bücher.de'))).toEqual({ kind: 'domain', suffix: 'bücher.de' });
    expect(dest(6, ...new Array<number>(253).fill(0x61))).toEqual({ kind: 'domain', suffix: 'a'.repeat(253) });
  });

  it('reads at the byte offset of a view', () => {
    const bytes = encodePolicyDocument(RUST_POLICY_FIXTURE);
    const backing = Uint8Array.of(0xee, 0xee, 0xee, ...bytes, 0xee);
    expect(decodePolicyDocument(backing.subarray(3, 3 + bytes.length))).toEqual(RUST_POLICY_FIXTURE);
  });

  it('refuses a document over 16 MiB as too large, before reading it', () => {
    expectRefused(new Uint8Array(16 * 1024 * 1024 + 1), 'too-large', /^policy of 16777217 bytes is above the limit/);
  });

  it('refuses a wrong checksum, after magic and format', () => {
    const bytes = rawDocument([rawRule()]);
    const flipped = bytes.slice();
    flipped[KIND_AT + 2] = (flipped[KIND_AT + 2] ?? 0) ^ 1;
    expectRefused(flipped, 'checksum', /^policy checksum 0x[0-9a-f]{8} does not match its bytes/);
    const badSum = bytes.slice();
    badSum[bytes.length - 1] = (badSum[bytes.length - 1] ?? 0) ^ 0x80;
    expectRefused(badSum, 'checksum', /checksum/);
    // A wrong magic or format is named as such even when the checksum is wrong too.
    const magic = flipped.slice();
    magic[0] = 0x41;
    expectRefused(magic, 'malformed', /at byte 0: not a policy document \(magic\)/);
    const format = flipped.slice();
    format[8] = 2;
    expectRefused(format, 'malformed', /at byte 8: unknown format revision 2/);
  });

  it.each<[string, Uint8Array, RegExp]>([
    ['an empty file', new Uint8Array(0), /at byte 0: shorter than a header and a checksum/],
    ['31 bytes', rawDocument([]).subarray(0, 31), /at byte 31: shorter than a header/],
    ['format 0', rawDocument([], { format: 0 }), /at byte 8: unknown format revision 0/],
    // Bit 0 is the path flag and bit 1 the blocklist section: bit 2 is the first undefined one.
    ['an undefined document flag', rawDocument([], { flags: 4 }), /at byte 10: undefined document flag in 0x00000004/],
    ['a high document flag', rawDocument([], { flags: 0x8001 }), /at byte 10: undefined document flag/],
    ['generation 0', rawDocument([], { generation: 0n }), /at byte 12: generation 0/],
    ['no-app action 0', rawDocument([], { noAppAction: 0 }), /at byte 20: no-app action 0 is not 2, 4 or 6/],
    ['no-app action 3', rawDocument([], { noAppAction: 3 }), /at byte 20: no-app action 3/],
    ['no-app action 5 (a permanent block)', rawDocument([], { noAppAction: 5 }), /at byte 20/],
    ['no-app action 7', rawDocument([], { noAppAction: 7 }), /at byte 20/],
    ['a reserved byte', rawDocument([], { reserved: [0, 1, 0] }), /at byte 21: reserved bytes are not zero/],
    ['the last reserved byte', rawDocument([], { reserved: [0, 0, 0x80] }), /at byte 21/],
    [
      '1 000 001 rules',
      rawDocument([], { count: 1_000_001 }),
      /at byte 24: 1000001 rules, more than the limit of 1000000/,
    ],
    [
      'a count the bytes cannot hold',
      rawDocument([rawRule()], { count: 2 }),
      /at byte 24: 2 rules cannot fit in 71 bytes/,
    ],
    ['a count of u32 max', rawDocument([rawRule()], { count: 0xffffffff }), /at byte 24: 4294967295 rules, more than/],
    [
      'bytes after the last rule',
      rawDocument([rawRule()], {}, Uint8Array.of(0)),
      /at byte 67: 1 bytes after the last rule/,
    ],
    ['a rule not counted', rawDocument([rawRule(), rawRule({ tag: 8 })], { count: 1 }), /at byte 67: 39 bytes after/],
    [
      'a rule cut short',
      // The first rule is long enough that the count fits the bytes; the second has 30 of its 31.
      rawDocument([rawRule({ app: new Uint8Array(40).fill(0x61) }), new Uint8Array(30)], { count: 2 }),
      /at byte 105: rule cut short/,
    ],
    ['action 3', rawDocument([rawRule({ action: 3 })]), /at byte 32: unknown rule action 3/],
    ['action 255', rawDocument([rawRule({ action: 255 })]), /at byte 32: unknown rule action 255/],
    ['an undefined rule flag', rawDocument([rawRule({ flags: 2 })]), /at byte 33: undefined rule flag in 0x00000002/],
    ['all rule flags', rawDocument([rawRule({ flags: 0xff })]), /at byte 33: undefined rule flag/],
    ['direction 3', rawDocument([rawRule({ direction: 3 })]), /at byte 34: unknown direction 3/],
    ['any_protocol 2', rawDocument([rawRule({ anyProtocol: 2 })]), /at byte 36: any_protocol 2 is not 0 or 1/],
    [
      'a port range that runs backwards',
      rawDocument([rawRule({ portFrom: 444, portTo: 443 })]),
      /at byte 37: port range 444\.\.443 runs backwards/,
    ],
    [
      'an update time past 2^53 - 1',
      rawDocument([rawRule({ updatedAt: 2n ** 53n })]),
      /at byte 41: time 9007199254740992 ms is past 9007199254740991/,
    ],
    ['an expiry of u64 max', rawDocument([rawRule({ expiresAt: 2n ** 64n - 1n })]), /at byte 49: time/],
    [
      'an app path over 16384 bytes',
      rawDocument([rawRule({ app: new Uint8Array(16385).fill(0x61) })]),
      /at byte 57: app path of 16385 bytes, longer than 16384/,
    ],
    [
      'an app path past the end',
      rawDocument([rawRule({ appLength: 10, dest: new Uint8Array(0), destKind: 0 })]),
      /at byte 59: app path cut short/,
    ],
    [
      'an app path of invalid UTF-8',
      rawDocument([rawRule({ app: Uint8Array.of(0x2f, 0xff) })]),
      /at byte 59: text is not UTF-8/,
    ],
    [
      'an app path cut inside a character',
      rawDocument([rawRule({ app: Uint8Array.of(0xc3) })]),
      /at byte 59: text is not UTF-8/,
    ],
    ['an app path of a lone surrogate', rawDocument([rawRule({ app: Uint8Array.of(0xed, 0xa0, 0x80) })]), /not UTF-8/],
    [
      'a destination kind past the end',
      rawDocument([rawRule().subarray(0, 34)], { count: 1 }),
      /at byte 61: destination cut short/,
    ],
    ['dest bytes past the end', rawDocument([rawRule({ destLength: 5 })]), /at byte 63: destination cut short/],
    ['destination kind 7', rawDocument([rawRule({ destKind: 7 })]), /at byte 61: unknown destination kind 7/],
    ['destination kind 255', rawDocument([rawRule({ destKind: 255 })]), /at byte 61: unknown destination kind 255/],
    [
      'an any destination with bytes',
      rawDocument([rawRule({ destKind: 0, dest: Uint8Array.of(0) })]),
      /at byte 61: a any destination carries no bytes, this one 1/,
    ],
    [
      'a lan destination with bytes',
      rawDocument([rawRule({ destKind: 1 })]),
      /a lan destination carries no bytes, this one 4/,
    ],
    [
      'a localhost destination with bytes',
      rawDocument([rawRule({ destKind: 2 })]),
      /a localhost destination carries no bytes/,
    ],
    [
      'an ip of 5 bytes',
      rawDocument([rawRule({ dest: new Uint8Array(5) })]),
      /at byte 61: an ip is 4 or 16 bytes, not 5/,
    ],
    ['an ip of no bytes', rawDocument([rawRule({ dest: new Uint8Array(0) })]), /an ip is 4 or 16 bytes, not 0/],
    ['an ip of 15 bytes', rawDocument([rawRule({ dest: new Uint8Array(15) })]), /not 15/],
    [
      'a cidr of no bytes',
      rawDocument([rawRule({ destKind: 4, dest: new Uint8Array(0) })]),
      /at byte 61: a cidr is 1 \+ 4 or 1 \+ 16 bytes, not 0/,
    ],
    [
      'a cidr without its prefix',
      rawDocument([rawRule({ destKind: 4, dest: new Uint8Array(4) })]),
      /a cidr is 1 \+ 4 or 1 \+ 16 bytes, not 4/,
    ],
    ['a cidr of 16 bytes', rawDocument([rawRule({ destKind: 4, dest: new Uint8Array(16) })]), /not 16/],
    [
      'an IPv4 prefix of 33',
      rawDocument([rawRule({ destKind: 4, dest: Uint8Array.of(33, 0, 0, 0, 0) })]),
      /at byte 61: prefix 33 is too long for a 32-bit network/,
    ],
    [
      'an IPv6 prefix of 129',
      rawDocument([rawRule({ destKind: 4, dest: Uint8Array.of(129, ...new Uint8Array(16)) })]),
      /prefix 129 is too long for a 128-bit network/,
    ],
    [
      'IPv4 host bits',
      rawDocument([rawRule({ destKind: 4, dest: Uint8Array.of(8, 10, 0, 0, 1) })]),
      /at byte 61: cidr has host bits set/,
    ],
    [
      'an IPv4 host bit inside the last prefix byte',
      rawDocument([rawRule({ destKind: 4, dest: Uint8Array.of(12, 172, 24, 0, 0) })]),
      /host bits set/,
    ],
    [
      'IPv6 host bits',
      rawDocument([rawRule({ destKind: 4, dest: Uint8Array.of(127, ...new Uint8Array(15), 1) })]),
      /host bits set/,
    ],
    [
      'an empty host',
      rawDocument([rawRule({ destKind: 5, dest: new Uint8Array(0) })]),
      /at byte 61: a name is 1\.\.253 bytes, not 0/,
    ],
    [
      'an empty domain',
      rawDocument([rawRule({ destKind: 6, dest: new Uint8Array(0) })]),
      /a name is 1\.\.253 bytes, not 0/,
    ],
    ['a name of 254 bytes', rawDocument([rawRule({ destKind: 5, dest: new Uint8Array(254).fill(0x61) })]), /not 254/],
    ['a name of 255 bytes', rawDocument([rawRule({ destKind: 6, dest: new Uint8Array(255).fill(0x61) })]), /not 255/],
    [
      'a capital in a host',
      rawDocument([rawRule({ destKind: 5, dest: utf8('a.Example') })]),
      /at byte 65: a name is lowercase/,
    ],
    [
      'a capital in a domain',
      rawDocument([rawRule({ destKind: 6, dest: utf8('Z') })]),
      /at byte 63: a name is lowercase/,
    ],
    [
      'a trailing dot',
      rawDocument([rawRule({ destKind: 6, dest: utf8('example.com.') })]),
      /at byte 74: a name has no trailing dot/,
    ],
    [
      "a domain with a leading '*.'",
      rawDocument([rawRule({ destKind: 6, dest: utf8('*.example.com') })]),
      /at byte 63: a domain covers the names below it: no leading '\*\.'/,
    ],
    [
      'a name of invalid UTF-8',
      rawDocument([rawRule({ destKind: 5, dest: Uint8Array.of(0x61, 0x80) })]),
      /at byte 63: text is not UTF-8/,
    ],
    [
      'two rules with one tag',
      rawDocument([rawRule(), rawRule({ destKind: 0, dest: new Uint8Array(0) })]),
      /at byte 67: two rules share the tag 7/,
    ],
  ])('refuses %s as malformed', (_name, bytes, message) => {
    expectRefused(bytes, 'malformed', message);
  });

  it('takes two rules with different tags, and a count at the exact room of the bytes', () => {
    const minimal = rawRule({ tag: 9, app: new Uint8Array(0), destKind: 0, dest: new Uint8Array(0) });
    expect(minimal).toHaveLength(33);
    const doc = decodePolicyDocument(rawDocument([rawRule(), minimal, rawRule({ tag: 0xffffffff })]));
    expect(doc.rules.map((rule) => rule.tag)).toEqual([7, 9, 0xffffffff]);
    expect(
      decodePolicyDocument(
        rawDocument([minimal, rawRule({ tag: 3, app: new Uint8Array(0), destKind: 1, dest: new Uint8Array(0) })]),
      ).rules,
    ).toHaveLength(2);
  });
});
