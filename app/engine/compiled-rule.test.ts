import { describe, expect, it } from 'vitest';
import { formatIp, parseIp } from '../contract/ip-address.ts';
import { type Destination, destinationSchema } from '../contract/rules.ts';
import { inNetwork } from './address-match.ts';
import { compileRule } from './compiled-rule.ts';
import { makeRule } from './testing.ts';

const OPTIONS = { caseInsensitivePaths: false };
const compile = (destination: Destination) => compileRule(makeRule({ id: 'r', destination }), OPTIONS);

describe('compileRule agrees with the rule schema', () => {
  const cidr = (text: string): Destination => ({ kind: 'cidr', cidr: text });
  const ip = (address: string): Destination => ({ kind: 'ip', address });

  it.each([
    ...[
      '10.0.0.0/8',
      '10.1.2.3/8',
      '::ffff:10.9.9.9/104',
      '2001:db8::1/64',
      '0.0.0.0/0',
      '::/0',
      '1.2.3.4/32',
      '::ffff:0:0/95',
      '::ffff:10.0.0.0/64',
    ].map(cidr),
    ...['1.2.3.4', '::ffff:1.2.3.4', '2001:DB8::1', '1:2:3:4:5:6:1.2.3.4'].map(ip),
    ...['*.example.com', '*.Example.COM.', '*.com'].map((pattern): Destination => ({ kind: 'domain', pattern })),
  ])('the schema accepts %j and the engine compiles it', (destination) => {
    expect(destinationSchema.safeParse(destination).success).toBe(true);
    expect(compile(destination)).not.toBeNull();
  });

  it.each([
    ...['10.0.0.0/33', '10.0.0.0', '999.1.1.1/8', '1.2.3.4/032', '::/00', 'fe80::%eth0/64'].map(cidr),
    ...['999.1.1.1', '1.2.3', 'fe80::1%eth0', 'fe80::1%', '::%%%%%'].map(ip),
  ])('the schema refuses %j, which the engine could not compile either', (destination) => {
    expect(destinationSchema.safeParse(destination).success).toBe(false);
    expect(compile(destination)).toBeNull();
  });

  it('::ffff:0:0/95 is an IPv6 network: it matches IPv6 addresses in it, and IPv4 ones (mapped or not) never', () => {
    const compiled = compile({ kind: 'cidr', cidr: '::ffff:0:0/95' });
    if (compiled?.destination.kind !== 'cidr') throw new Error('not compiled');
    const network = compiled.destination.network;
    expect([formatIp(network.bytes), network.prefix]).toEqual(['::fffe:0:0', 95]);
    expect(inNetwork(parseIp('::fffe:1:2') as Uint8Array, network)).toBe(true);
    expect(inNetwork(parseIp('::fffd:1:2') as Uint8Array, network)).toBe(false);
    // IPv4-mapped addresses are IPv4 to the engine, and IPv4 is matched by IPv4 networks only.
    expect(inNetwork(parseIp('::ffff:1.2.3.4') as Uint8Array, network)).toBe(false);
    expect(inNetwork(parseIp('1.2.3.4') as Uint8Array, network)).toBe(false);
    // From /96 on it is the IPv4 network it maps.
    const v4 = compile({ kind: 'cidr', cidr: '::ffff:0:0/96' });
    if (v4?.destination.kind !== 'cidr') throw new Error('not compiled');
    expect([formatIp(v4.destination.network.bytes), v4.destination.network.prefix]).toEqual(['0.0.0.0', 0]);
  });

  it('treats host bits of a cidr as the schema documents: masked off, so 10.1.2.3/8 is 10.0.0.0/8', () => {
    const compiled = compile({ kind: 'cidr', cidr: '10.1.2.3/8' });
    if (compiled?.destination.kind !== 'cidr') throw new Error('not compiled');
    expect(formatIp(compiled.destination.network.bytes)).toBe('10.0.0.0');
    expect(compiled.destination.network.prefix).toBe(8);
    expect(inNetwork(parseIp('10.200.0.1') as Uint8Array, compiled.destination.network)).toBe(true);
    expect(inNetwork(parseIp('11.1.2.3') as Uint8Array, compiled.destination.network)).toBe(false);
  });
});
