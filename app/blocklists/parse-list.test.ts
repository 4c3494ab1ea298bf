import { describe, expect, it } from 'vitest';
import { ListTooBig, parseList } from './parse-list.ts';

const text = (net: { bytes: Uint8Array; prefix: number }): string =>
  `${[...net.bytes].join('.')}/${String(net.prefix)}`;

describe('parseList', () => {
  it('reads hosts files, domain lists and address lists, with their comments', () => {
    const list = parseList(
      [
        '# a hosts file',
        '127.0.0.1 localhost',
        '::1 localhost ip6-localhost',
        '0.0.0.0 Ads.Example.com tracker.example.net # two names on one line',
        '0.0.0.0 0.0.0.0',
        '',
        '! an adblock-style comment',
        '*.doubleclick.example',
        '.metrics.example.org',
        'plain.example.',
        '192.0.2.1',
        '198.51.100.77/24',
        '2001:db8::/32',
      ].join('\r\n'),
    );
    expect(list.names).toEqual([
      'ads.example.com',
      'tracker.example.net',
      'doubleclick.example',
      'metrics.example.org',
      'plain.example',
    ]);
    // A CIDR's host bits are cleared.
    expect(list.networks.filter((n) => n.bytes.length === 4).map(text)).toEqual(['192.0.2.1/32', '198.51.100.0/24']);
    expect(list.networks.find((n) => n.bytes.length === 16)?.prefix).toBe(32);
    expect(list.refused).toBe(0);
  });

  it('counts what it cannot read and keeps a few examples with their lines', () => {
    const list = parseList(
      ['good.example', '10.0.0.1 not-a-sink.example', 'bad name!', 'x..y', '300.1.1.1/8', '1.2.3.4/33'].join('\n'),
    );
    // "bad name!" is "bad name" before its comment: two words, and no sink address first.
    expect(list.names).toEqual(['good.example']);
    expect(list.refused).toBe(5);
    expect(list.examples.map((e) => e.line)).toEqual([2, 3, 4, 5, 6]);
  });

  it('refuses a list over the entry limit instead of growing without bound', () => {
    const big = Array.from({ length: 11 }, (_, i) => `n${String(i)}.example`).join('\n');
    expect(() => parseList(big, 10)).toThrow(ListTooBig);
    expect(parseList(big, 11).names).toHaveLength(11);
  });

  it('reads an IPv4-mapped IPv6 network as the IPv4 network it names', () => {
    const parsed = parseList('::ffff:192.0.2.0/120\n::ffff:198.51.100.7\n::ffff:c633:6400/120\n::ffff:0:0/95\n');
    expect(parsed.networks).toEqual([
      { bytes: Uint8Array.of(192, 0, 2, 0), prefix: 24 },
      { bytes: Uint8Array.of(198, 51, 100, 7), prefix: 32 },
      { bytes: Uint8Array.of(198, 51, 100, 0), prefix: 24 },
      // Wider than the mapped range: stays IPv6 (host bits cleared).
      { bytes: Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xfe, 0, 0, 0, 0), prefix: 95 },
    ]);
    expect(parsed.refused).toBe(0);
  });
});
