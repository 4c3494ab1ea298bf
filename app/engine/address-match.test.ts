import { describe, expect, it } from 'vitest';
import { parseIp } from '../contract/ip-address.ts';
import { inNetwork, isLan, isLocalhost, parseCidr } from './address-match.ts';

function ip(text: string): Uint8Array {
  const bytes = parseIp(text);
  if (bytes === null) throw new Error(text);
  return bytes;
}

describe('parseCidr / inNetwork', () => {
  it.each([
    ['10.0.0.0/8', '10.255.1.2', true],
    ['10.0.0.0/8', '11.0.0.1', false],
    ['192.168.1.0/24', '192.168.1.77', true],
    ['192.168.1.0/24', '192.168.2.1', false],
    ['172.16.0.0/12', '172.31.255.255', true],
    ['172.16.0.0/12', '172.32.0.0', false],
    ['192.0.2.128/25', '192.0.2.200', true],
    ['192.0.2.128/25', '192.0.2.127', false],
    ['192.0.2.77/32', '192.0.2.77', true],
    ['0.0.0.0/0', '8.8.8.8', true],
    ['0.0.0.0/0', '::1', false],
    ['2001:db8::/32', '2001:db8:ffff::1', true],
    ['2001:db8::/32', '2001:db9::1', false],
    ['2001:db8:abcd:1200::/55', '2001:db8:abcd:13ff::1', true],
    ['2001:db8:abcd:1200::/55', '2001:db8:abcd:1400::1', false],
    ['::/0', '2606:4700::1111', true],
    ['::ffff:10.0.0.0/104', '10.1.2.3', true],
    ['192.168.1.99/24', '192.168.1.1', true],
  ])('%s contains %s: %s', (cidr, address, expected) => {
    const network = parseCidr(cidr);
    expect(network).not.toBeNull();
    if (network !== null) expect(inNetwork(ip(address), network)).toBe(expected);
  });

  it.each(['10.0.0.0', '10.0.0.0/33', '::/129', 'x/8', '10.0.0.0/-1', '10.0.0.0/8/8', '10.0.0.0/'])(
    'rejects %j',
    (c) => {
      expect(parseCidr(c)).toBeNull();
    },
  );
});

describe('lan and localhost', () => {
  it.each([
    ['10.1.2.3', true],
    ['172.20.0.1', true],
    ['192.168.0.10', true],
    ['169.254.1.1', true],
    ['224.0.0.251', true],
    ['239.255.255.250', true],
    ['255.255.255.255', true],
    ['fd12:3456::1', true],
    ['fe80::1', true],
    ['ff02::fb', true],
    ['100.64.0.1', false],
    ['8.8.8.8', false],
    ['127.0.0.1', false],
    ['2606:4700::1111', false],
    ['::1', false],
  ])('isLan(%s) = %s', (address, expected) => {
    expect(isLan(ip(address))).toBe(expected);
  });

  it.each([
    ['127.0.0.1', true],
    ['127.255.0.9', true],
    ['::1', true],
    ['::ffff:127.0.0.1', true],
    ['128.0.0.1', false],
    ['::2', false],
    ['10.0.0.1', false],
  ])('isLocalhost(%s) = %s', (address, expected) => {
    expect(isLocalhost(ip(address))).toBe(expected);
  });
});
