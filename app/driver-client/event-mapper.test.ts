import { describe, expect, it } from 'vitest';
import type { DecodeResult } from '../../native/src/index.ts';
import { driverEventOf, verdictCommand } from './event-mapper.ts';
import { ip } from './test-support/address-bytes.ts';

const connection = (id: bigint, pid: bigint): DecodeResult => ({
  kind: 'connection',
  ipVersion: 4,
  id,
  processId: pid,
  direction: 0,
  protocol: 6,
  localIp: ip('10.0.0.1'),
  localPort: 40000,
  remoteIp: ip('10.0.0.2'),
  remotePort: 443,
  payloadLayer: 3,
  payload: new Uint8Array(),
});

const process = (pid: bigint, path: string, uid = 1000): DecodeResult => ({
  kind: 'process',
  processId: pid,
  startTime: 7n,
  uid,
  path,
  commandLine: [path],
});

describe('driverEventOf', () => {
  it('hands a Process info on as a process event; a connection names only its pid', () => {
    // The engine's process directory is the one place that remembers processes.
    expect(driverEventOf(process(42n, '/usr/bin/curl'))).toEqual({
      kind: 'process',
      process: { pid: 42, startTime: 7n, uid: 1000, path: '/usr/bin/curl', commandLine: ['/usr/bin/curl'] },
    });
    expect(driverEventOf(connection(1n, 42n))).toMatchObject({
      kind: 'connection',
      requestId: 1n,
      direction: 'outbound',
      pid: 42,
      flow: { protocol: 6, remoteIp: '10.0.0.2', remotePort: 443 },
      process: null,
    });
  });

  it('maps an unknown uid to null and a pid-0 process as it came', () => {
    expect(driverEventOf(process(0n, '', 0xffffffff))).toMatchObject({ process: { pid: 0, uid: null, path: '' } });
    expect(driverEventOf(connection(1n, 0n))).toMatchObject({ pid: 0, process: null });
  });

  it('maps ends, DNS, bandwidth and logs, and ignores the rest', () => {
    expect(
      driverEventOf({ kind: 'dnsName', ipVersion: 4, ttlSeconds: 60, ip: ip('10.0.0.2'), name: 'a.test' }),
    ).toEqual({
      kind: 'dns',
      name: 'a.test',
      address: '10.0.0.2',
      ttlSeconds: 60,
    });
    expect(
      driverEventOf({
        kind: 'bandwidthStats',
        ipVersion: 4,
        protocol: 17,
        entries: [
          {
            localIp: ip('10.0.0.1'),
            localPort: 5,
            remoteIp: ip('10.0.0.2'),
            remotePort: 53,
            transmitted: 10n,
            received: 20n,
          },
        ],
      }),
    ).toEqual({
      kind: 'bandwidth',
      samples: [
        {
          flow: { protocol: 17, localIp: '10.0.0.1', localPort: 5, remoteIp: '10.0.0.2', remotePort: 53 },
          transmitted: 10n,
          received: 20n,
        },
      ],
    });
    expect(driverEventOf({ kind: 'counters', values: [1n] })).toBeNull();
    expect(driverEventOf({ kind: 'problem', problem: 'unknown-type', type: 99, bodyLength: 3 })).toBeNull();
  });

  it('maps a DNS exchange: addresses as text (IPv4 first), the query as a UDP flow to the resolver', () => {
    expect(
      driverEventOf({
        kind: 'dnsExchange',
        processId: 4242n,
        ipVersion: 6,
        localIp: ip('fd00::2'),
        localPort: 40000,
        resolverIp: ip('fd00::1'),
        resolverPort: 53,
        qtype: 28,
        rcode: 0,
        ttlSeconds: 60,
        name: 'Mixed.Example',
        v4Addresses: [ip('192.0.2.7')],
        v6Addresses: [ip('2001:db8::1'), ip('::ffff:10.0.0.9')],
      }),
    ).toEqual({
      kind: 'dns-exchange',
      pid: 4242,
      name: 'mixed.example',
      qtype: 28,
      rcode: 0,
      addresses: ['192.0.2.7', '2001:db8::1', '10.0.0.9'],
      ttlSeconds: 60,
      query: { protocol: 17, localIp: 'fd00::2', localPort: 40000, remoteIp: 'fd00::1', remotePort: 53 },
    });
  });

  it('encodes engine verdicts as protocol verdicts', () => {
    expect(verdictCommand(5n, 'permanent-accept')).toEqual({ kind: 'verdict', id: 5n, verdict: 3 });
    expect(verdictCommand(6n, 'drop')).toEqual({ kind: 'verdict', id: 6n, verdict: 6 });
  });
});
