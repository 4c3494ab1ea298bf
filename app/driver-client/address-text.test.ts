import { describe, expect, it } from 'vitest';
import type { DecodeResult } from '../../native/src/index.ts';
import { driverEventOf } from './event-mapper.ts';

// The driver client is where the codec's address bytes become the contract's canonical text.
const MAPPED = Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 7); // ::ffff:192.0.2.7
// 2001:db8:0:0:1:0:0:1: two zero runs of equal length, so RFC 5952 compresses the first.
const TWO_RUNS = Uint8Array.of(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1);

function connection(localIp: Uint8Array, remoteIp: Uint8Array): DecodeResult {
  return {
    kind: 'connection',
    ipVersion: 6,
    id: 1n,
    processId: 7n,
    direction: 0,
    protocol: 6,
    localIp,
    localPort: 40000,
    remoteIp,
    remotePort: 443,
    payloadLayer: 3,
    payload: new Uint8Array(),
  };
}

describe('driverEventOf: address bytes to the contract canonical text', () => {
  it('gives an IPv4-mapped address as the IPv4 address, and IPv6 in RFC 5952 form', () => {
    expect(driverEventOf(connection(TWO_RUNS, MAPPED))).toMatchObject({
      kind: 'connection',
      flow: { localIp: '2001:db8::1:0:0:1', remoteIp: '192.0.2.7' },
    });
    expect(driverEventOf({ kind: 'dnsName', ipVersion: 6, ttlSeconds: 5, ip: MAPPED, name: 'a.test' })).toEqual({
      kind: 'dns',
      name: 'a.test',
      address: '192.0.2.7',
      ttlSeconds: 5,
    });
  });

  it('refuses an address of the wrong length with a RangeError that names the field', () => {
    expect(() => driverEventOf(connection(TWO_RUNS, new Uint8Array(5)))).toThrow(
      new RangeError('remoteIp: an IP address has 4 or 16 bytes, not 5'),
    );
    expect(() =>
      driverEventOf({ kind: 'dnsName', ipVersion: 4, ttlSeconds: 5, ip: new Uint8Array(0), name: 'a.test' }),
    ).toThrow(/^dnsName\.ip: an IP address has 4 or 16 bytes, not 0$/);
  });
});
