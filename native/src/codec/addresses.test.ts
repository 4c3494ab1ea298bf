import { describe, expect, it } from 'vitest';
import { Random, testSeed } from '../../test-support/codec/test-random.ts';
import { formatIp, parseIp, parseIpv4, parseIpv6 } from './addresses.ts';

function hex(text: string): Uint8Array {
  return Uint8Array.from(text.match(/../g) ?? [], (pair) => parseInt(pair, 16));
}

describe('formatIp', () => {
  it.each([
    ['00000000', '0.0.0.0'],
    ['01020304', '1.2.3.4'],
    ['c000020a', '192.0.2.10'],
    ['ffffffff', '255.255.255.255'],
  ])('formats IPv4 %s as %s', (bytes, text) => {
    expect(formatIp(hex(bytes))).toBe(text);
  });

  it.each([
    // RFC 5952 section 4: the unspecified and loopback addresses.
    ['00000000000000000000000000000000', '::'],
    ['00000000000000000000000000000001', '::1'],
    ['00010000000000000000000000000000', '1::'],
    ['20010db8000000000000000000000001', '2001:db8::1'],
    // 4.1: no leading zeros; 4.3: lowercase.
    ['20010db800aa00bb00cc00dd00ee00ff', '2001:db8:aa:bb:cc:dd:ee:ff'],
    ['20010DB8ABCDEF0000000000000000ff', '2001:db8:abcd:ef00::ff'],
    // 4.2.2: a lone zero group is not compressed.
    ['20010db8000000010001000100010001', '2001:db8:0:1:1:1:1:1'],
    // 4.2.3: the longest run wins; on a tie, the first.
    ['20010db8000000000001000000000001', '2001:db8::1:0:0:1'],
    ['20010000000000010000000000000001', '2001:0:0:1::1'],
    ['20010db8000000000000000100000000', '2001:db8::1:0:0'],
    // Runs at the very start and end.
    ['0000000000000001000000000000ffff', '::1:0:0:0:ffff'],
    ['00010000000000000000000000000001', '1::1'],
    ['00000001000000000000000000000000', '0:1::'],
    // Section 5: IPv4-mapped addresses use the dotted quad.
    ['00000000000000000000ffff01020304', '::ffff:1.2.3.4'],
    ['00000000000000000000ffff00000000', '::ffff:0.0.0.0'],
    // Not mapped (only ::ffff:0:0/96 is): plain hex.
    ['00000000000000000000000001020304', '::102:304'],
    ['0000000000000000ffff000001020304', '::ffff:0:102:304'],
    // No zero groups at all.
    ['0102030405060708090a0b0c0d0e0f10', '102:304:506:708:90a:b0c:d0e:f10'],
  ])('formats IPv6 %s as %s', (bytes, text) => {
    expect(formatIp(hex(bytes))).toBe(text);
  });

  it('rejects other lengths', () => {
    expect(() => formatIp(new Uint8Array(5))).toThrow(RangeError);
  });

  it('reads at the byte offset of a view', () => {
    const backing = Uint8Array.of(9, 9, 10, 0, 0, 1, 9);
    expect(formatIp(backing.subarray(2, 6))).toBe('10.0.0.1');
  });
});

describe('parseIpv4 / parseIpv6', () => {
  it.each([
    ['::', '00000000000000000000000000000000'],
    ['::1', '00000000000000000000000000000001'],
    ['2001:DB8::1', '20010db8000000000000000000000001'],
    ['2001:0db8:0000:0000:0001:0000:0000:0001', '20010db8000000000001000000000001'],
    ['2001:db8:0:0:1:0:0:1', '20010db8000000000001000000000001'],
    ['::ffff:1.2.3.4', '00000000000000000000ffff01020304'],
    ['1:2:3:4:5:6:1.2.3.4', '00010002000300040005000601020304'],
    ['1::', '00010000000000000000000000000000'],
    ['1:2:3:4:5:6:7::', '00010002000300040005000600070000'],
    ['::2:3:4:5:6:7:8', '00000002000300040005000600070008'],
  ])('parses IPv6 %s', (text, bytes) => {
    expect(parseIpv6(text)).toEqual(hex(bytes));
  });

  it.each([
    '',
    ':',
    ':::',
    '1:::2',
    '1::2::3',
    ':1::2',
    '1::2:',
    '1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7::8',
    '12345::',
    'g::1',
    '::1.2.3',
    '::1.2.3.256',
    '1.2.3.4::',
    '::1.2.3.4:1',
    'fe80::1%eth0',
    '[::1]',
    ' ::1',
    '1.2.3.4',
  ])('rejects IPv6 %j with a clear Error', (text) => {
    expect(() => parseIpv6(text)).toThrow(/^Invalid IPv6 address ".*": ./);
  });

  it.each([
    ['0.0.0.0', [0, 0, 0, 0]],
    ['192.0.2.10', [192, 0, 2, 10]],
    ['255.255.255.255', [255, 255, 255, 255]],
  ])('parses IPv4 %s', (text, bytes) => {
    expect(parseIpv4(text)).toEqual(Uint8Array.from(bytes));
  });

  it.each(['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1.2.3.-4', '1.2.3.4 ', '1..3.4', '0x1.2.3.4', '::1'])(
    'rejects IPv4 %j with a clear Error',
    (text) => {
      expect(() => parseIpv4(text)).toThrow(/^Invalid IPv4 address ".*": ./);
    },
  );

  it('parseIp picks the family by IP version', () => {
    expect(parseIp('1.2.3.4', 4)).toHaveLength(4);
    expect(parseIp('::1', 6)).toHaveLength(16);
    expect(() => parseIp('1.2.3.4', 6)).toThrow(/IPv6/);
    expect(() => parseIp('::1', 4)).toThrow(/IPv4/);
  });
});

describe('address round trip', () => {
  it('parse(format(bytes)) gives the bytes back and format is canonical', () => {
    const random = new Random(testSeed('address round trip'));
    for (let i = 0; i < 5000; i++) {
      // Mostly-zero groups exercise the '::' choice; some addresses are IPv4-mapped.
      const bytes = new Uint8Array(16);
      const view = new DataView(bytes.buffer);
      for (let g = 0; g < 8; g++) view.setUint16(2 * g, random.chance(0.5) ? 0 : random.uint(16));
      if (random.chance(0.1)) bytes.set([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]);
      const text = formatIp(bytes);
      expect(parseIpv6(text)).toEqual(bytes);
      expect(text).toBe(text.toLowerCase());
      expect(text).not.toMatch(/(^|:)0[0-9a-f]/);
      expect(formatIp(parseIpv6(text))).toBe(text);

      const v4 = random.bytes(4);
      expect(parseIpv4(formatIp(v4))).toEqual(v4);
    }
  });
});
