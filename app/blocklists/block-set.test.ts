import { describe, expect, it } from 'vitest';
import { parseIp } from '../contract/ip-address.ts';
import { BlockSet } from './block-set.ts';
import { parseList } from './parse-list.ts';

const address = (text: string): Uint8Array => {
  const bytes = parseIp(text);
  if (bytes === null) throw new Error(text);
  return bytes;
};

describe('BlockSet', () => {
  const set = new BlockSet([
    parseList('example.com\n0.0.0.0 tracker.example.net\n10.0.0.0/8\n2001:db8::/32'),
    parseList('ads.other.example\nexample.com\n10.1.0.0/16\n192.0.2.7\n192.0.2.8\n192.0.2.10'),
  ]);

  it('blocks a listed name and every name under it, not names that only end the same way', () => {
    expect(set.matchName('example.com')).toBe(0);
    expect(set.matchName('a.b.example.com')).toBe(0);
    expect(set.matchName('notexample.com')).toBe(-1);
    expect(set.matchName('com')).toBe(-1);
    expect(set.matchName('tracker.example.net')).toBe(0);
    expect(set.matchName('example.net')).toBe(-1);
    expect(set.matchName('x.ads.other.example')).toBe(1);
    expect(set.matchName('other.example')).toBe(-1);
    expect(set.matchName('')).toBe(-1);
    // In two lists: held once, for the first.
    expect(set.nameCount).toBe(3);
  });

  it('finds an address in any listed network, both families', () => {
    expect(set.matchAddress(address('10.255.255.255'))).toBe(0);
    expect(set.matchAddress(address('10.1.2.3'))).toBe(0); // inside both: the merged range is list 0's
    expect(set.matchAddress(address('11.0.0.0'))).toBe(-1);
    expect(set.matchAddress(address('9.255.255.255'))).toBe(-1);
    expect(set.matchAddress(address('192.0.2.7'))).toBe(1);
    expect(set.matchAddress(address('192.0.2.8'))).toBe(1);
    expect(set.matchAddress(address('192.0.2.9'))).toBe(-1);
    expect(set.matchAddress(address('192.0.2.10'))).toBe(1);
    expect(set.matchAddress(address('2001:db8:ffff::1'))).toBe(0);
    expect(set.matchAddress(address('2001:db9::'))).toBe(-1);
    expect(set.matchAddress(new Uint8Array(5))).toBe(-1);
  });

  it('agrees with a plain scan on random names and addresses', () => {
    let seed = 7;
    const next = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    const names = Array.from({ length: 2_000 }, () => `h${String(next(500))}.d${String(next(50))}.example`);
    const lists = [parseList(names.slice(0, 1_000).join('\n')), parseList(names.slice(1_000).join('\n'))];
    const blocks = new BlockSet(lists);
    for (let i = 0; i < 5_000; i++) {
      const probe = `x.h${String(next(600))}.d${String(next(60))}.example`;
      const expected = lists.findIndex((list) => list.names.some((n) => probe === n || probe.endsWith(`.${n}`)));
      expect(blocks.matchName(probe)).toBe(expected);
    }
    const nets = Array.from(
      { length: 300 },
      () => `${String(next(256))}.${String(next(256))}.0.0/${String(12 + next(12))}`,
    );
    const one = new BlockSet([parseList(nets.join('\n'))]);
    const parsed = parseList(nets.join('\n')).networks;
    for (let i = 0; i < 5_000; i++) {
      const probe = new Uint8Array([next(256), next(256), next(256), next(256)]);
      const value = (probe[0] ?? 0) * 2 ** 24 + (probe[1] ?? 0) * 2 ** 16 + (probe[2] ?? 0) * 2 ** 8 + (probe[3] ?? 0);
      const inside = parsed.some((n) => {
        const base =
          (n.bytes[0] ?? 0) * 2 ** 24 + (n.bytes[1] ?? 0) * 2 ** 16 + (n.bytes[2] ?? 0) * 2 ** 8 + (n.bytes[3] ?? 0);
        return value >= base && value < base + 2 ** (32 - n.prefix);
      });
      expect(one.matchAddress(probe) === 0).toBe(inside);
    }
  });
});
