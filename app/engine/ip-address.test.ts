import { describe, expect, it } from 'vitest';
import { canonicalIp, formatIp, parseIp } from './ip-address.ts';

describe('parseIp / canonicalIp', () => {
  it.each([
    ['1.2.3.4', '1.2.3.4'],
    ['0.0.0.0', '0.0.0.0'],
    ['255.255.255.255', '255.255.255.255'],
    ['::', '::'],
    ['::1', '::1'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:db8:0000:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['fe80::1%eth0', 'fe80::1'],
    ['::ffff:192.0.2.1', '192.0.2.1'],
    ['::ffff:c000:201', '192.0.2.1'],
    ['64:ff9b::192.0.2.1', '64:ff9b::c000:201'],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
    ['1::2:3:4:5:6:7', '1:0:2:3:4:5:6:7'],
  ])('%s → %s', (input, canonical) => {
    expect(canonicalIp(input)).toBe(canonical);
  });

  it.each([
    '',
    '1.2.3',
    '1.2.3.4.5',
    '256.1.1.1',
    '01.2.3.4',
    '1.2.3.4 ',
    'a.b.c.d',
    ':::',
    '1:2:3:4:5:6:7:8:9',
    '1::2::3',
    'g::1',
    '1:2:3:4:5:6:7::8',
    '12345::',
    '::1.2.3',
  ])('rejects %j', (input) => {
    expect(parseIp(input)).toBeNull();
  });

  it('formats 16 bytes with RFC 5952 zero compression (first longest run)', () => {
    const bytes = parseIp('1:0:0:1:0:0:1:1');
    expect(bytes && formatIp(bytes)).toBe('1::1:0:0:1:1');
  });
});
