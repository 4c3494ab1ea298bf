import { describe, expect, it } from 'vitest';
import { EventMapper, verdictCommand } from './event-mapper.ts';
import type { DecodeResult } from '../../native/src/codec/info-types.ts';

const connection = (id: bigint, pid: bigint): DecodeResult => ({
  kind: 'connection',
  ipVersion: 4,
  id,
  processId: pid,
  direction: 0,
  protocol: 6,
  localIp: '10.0.0.1',
  localPort: 40000,
  remoteIp: '10.0.0.2',
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

describe('EventMapper', () => {
  it('attaches the latest process details to connections of that pid', () => {
    const mapper = new EventMapper();
    expect(mapper.map(process(42n, '/usr/bin/curl'))).toBeNull();
    const event = mapper.map(connection(1n, 42n));
    expect(event).toMatchObject({
      kind: 'connection',
      requestId: 1n,
      direction: 'outbound',
      pid: 42,
      flow: { protocol: 6, remoteIp: '10.0.0.2', remotePort: 443 },
      process: { path: '/usr/bin/curl', uid: 1000 },
    });
    mapper.map(process(42n, '/usr/bin/wget'));
    expect(mapper.map(connection(2n, 42n))).toMatchObject({ process: { path: '/usr/bin/wget' } });
  });

  it('uses a pid-0 process only for the next connection', () => {
    const mapper = new EventMapper();
    mapper.map(process(0n, '', 0xffffffff));
    expect(mapper.map(connection(1n, 0n))).toMatchObject({ pid: 0, process: { uid: null, path: '' } });
    expect(mapper.map(connection(2n, 0n))).toMatchObject({ pid: 0, process: null });
  });

  it('maps ends, DNS, bandwidth and logs, and ignores the rest', () => {
    const mapper = new EventMapper();
    expect(mapper.map({ kind: 'dnsName', ipVersion: 4, ttlSeconds: 60, ip: '10.0.0.2', name: 'a.test' })).toEqual({
      kind: 'dns',
      name: 'a.test',
      address: '10.0.0.2',
      ttlSeconds: 60,
    });
    expect(
      mapper.map({
        kind: 'bandwidthStats',
        ipVersion: 4,
        protocol: 17,
        entries: [
          { localIp: '10.0.0.1', localPort: 5, remoteIp: '10.0.0.2', remotePort: 53, transmitted: 10n, received: 20n },
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
    expect(mapper.map({ kind: 'counters', values: [1n] })).toBeNull();
    expect(mapper.map({ kind: 'problem', problem: 'unknown-type', type: 99, bodyLength: 3 })).toBeNull();
  });

  it('encodes engine verdicts as protocol verdicts', () => {
    expect(verdictCommand(5n, 'permanent-accept')).toEqual({ kind: 'verdict', id: 5n, verdict: 3 });
    expect(verdictCommand(6n, 'drop')).toEqual({ kind: 'verdict', id: 6n, verdict: 6 });
  });
});
