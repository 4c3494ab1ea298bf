import { describe, expect, it } from 'vitest';
import { crc32 } from '../../src/codec/crc32.ts';
import { encodePolicyDocument } from '../../src/codec/policy-encoder.ts';
import type { PolicyDocument } from '../../src/codec/policy-types.ts';
import { ipv4 } from './address-bytes.ts';
import { decodePolicyDocument, PolicyDecodeError } from './policy-decoder.ts';

const DOC: PolicyDocument = { generation: 3n, caseInsensitivePaths: false, noAppAction: 'drop', rules: [] };

/** A document without rules whose flag bit 1 is set and `section` follows the header, resealed. */
function withSection(section: readonly number[]): Uint8Array {
  const plain = encodePolicyDocument(DOC);
  const bytes = new Uint8Array(plain.length + section.length);
  bytes.set(plain.subarray(0, -4));
  bytes.set(section, plain.length - 4);
  bytes[10] = 2;
  new DataView(bytes.buffer).setUint32(bytes.length - 4, crc32(bytes.subarray(0, -4)), true);
  return bytes;
}

const u32 = (value: number): number[] => [value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, value >>> 24];
const counts = (names: number, networks: number): number[] => [...u32(names), ...u32(networks)];
const text = (value: string): number[] => [...new TextEncoder().encode(value)];

function refusal(bytes: Uint8Array): PolicyDecodeError {
  try {
    decodePolicyDocument(bytes);
  } catch (error) {
    if (error instanceof PolicyDecodeError) return error;
    throw error;
  }
  throw new Error('decoded');
}

describe('decodePolicyDocument: the blocklist section', () => {
  it('decodes names and networks after the rules', () => {
    const bytes = withSection([...counts(1, 1), 3, ...text('a.b'), 4, 24, 192, 0, 2, 0]);
    expect(decodePolicyDocument(bytes)).toEqual({
      ...DOC,
      blocklist: { names: ['a.b'], networks: [{ ip: ipv4(192, 0, 2, 0), prefix: 24 }] },
    });
  });

  it.each<[string, number[], RegExp]>([
    ['no section at all', [], /at byte 28: blocklist section cut short/],
    ['half the counts', [1, 0, 0, 0], /at byte 28: blocklist section cut short/],
    ['a section that lists nothing', counts(0, 0), /at byte 28: a blocklist section that lists nothing/],
    ['4 000 001 names', counts(4_000_001, 0), /at byte 28: 4000001 blocked names, more than the limit of 4000000/],
    ['1 000 001 networks', counts(0, 1_000_001), /at byte 32: 1000001 blocked networks, more than the limit/],
    ['counts the bytes cannot hold', [...counts(2, 0), 1, 0x61], /2 names and 0 networks cannot fit in 2 bytes/],
    ['an empty name', [...counts(2, 0), 0, 2, 0x61, 0x62], /at byte 36: a name is 1\.\.253 bytes, not 0/],
    ['a name of 254 bytes', [...counts(1, 0), 254, ...text('a'.repeat(254))], /a name is 1\.\.253 bytes, not 254/],
    ['a name cut short', [...counts(1, 0), 9, 0x61, 0x62, 0x63], /at byte 36: blocked name cut short/],
    ['a capital', [...counts(1, 0), 2, 0x61, 0x41], /at byte 38: a name is lowercase/],
    ['a trailing dot', [...counts(1, 0), 2, 0x61, 0x2e], /at byte 38: a name has no trailing dot/],
    ["a leading '*.'", [...counts(1, 0), 3, 0x2a, 0x2e, 0x61], /at byte 37: a domain covers the names below it/],
    ['invalid UTF-8', [...counts(1, 0), 2, 0x61, 0xff], /at byte 37: text is not UTF-8/],
    ['family 5', [...counts(0, 1), 5, 8, 10, 0, 0, 0], /at byte 36: blocked network family 5 is not 4 or 6/],
    ['an IPv4 prefix of 33', [...counts(0, 1), 4, 33, 10, 0, 0, 0], /at byte 37: prefix 33 is too long for an IPv4/],
    ['an IPv6 prefix of 129', [...counts(0, 1), 6, 129, ...new Array<number>(16).fill(0)], /prefix 129 is too long/],
    ['IPv4 host bits', [...counts(0, 1), 4, 8, 10, 0, 0, 1], /at byte 38: blocked network has host bits set/],
    [
      'IPv6 host bits',
      [...counts(0, 1), 6, 127, ...new Array<number>(16).fill(0xff)],
      /blocked network has host bits set/,
    ],
    ['an IPv6 network of 4 bytes', [...counts(0, 1), 6, 8, 0xfe, 0, 0, 0], /at byte 36: blocked network cut short/],
    [
      'a byte after the last network',
      [...counts(0, 1), 4, 8, 10, 0, 0, 0, 0],
      /at byte 42: 1 bytes after the blocklist/,
    ],
    [
      'fewer names counted than written',
      [...counts(1, 0), 1, 0x61, 1, 0x62],
      /at byte 38: 2 bytes after the blocklist/,
    ],
  ])('refuses %s as malformed', (_name, section, message) => {
    const error = refusal(withSection(section));
    expect(error.reason).toBe('malformed');
    expect(error.message).toMatch(message);
  });

  it('refuses bytes after the rules without flag bit 1, as before', () => {
    const bytes = withSection([...counts(1, 0), 1, 0x61]);
    bytes[10] = 0;
    new DataView(bytes.buffer).setUint32(bytes.length - 4, crc32(bytes.subarray(0, -4)), true);
    expect(refusal(bytes).message).toMatch(/at byte 28: 10 bytes after the last rule/);
  });
});
