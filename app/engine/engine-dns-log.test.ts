import { describe, expect, it } from 'vitest';
import type { DnsExchangeReport } from '../contract/driver-events.ts';
import { Engine } from './engine.ts';
import { makeRequest, MemoryRepository, RecordingVerdicts } from './testing.ts';

const DIG = '/usr/bin/dig';

function setup(): Engine {
  return new Engine({ verdicts: new RecordingVerdicts(), repository: new MemoryRepository() });
}

function exchange(over: Partial<DnsExchangeReport> = {}): DnsExchangeReport {
  return {
    kind: 'dns-exchange',
    pid: 0,
    name: 'example.com',
    qtype: 1,
    rcode: 0,
    addresses: ['93.184.216.34'],
    ttlSeconds: 300,
    query: { protocol: 17, localIp: '192.168.1.2', localPort: 45000, remoteIp: '10.0.0.53', remotePort: 53 },
    ...over,
  };
}

describe('Engine: the DNS log', () => {
  it('names the asker from the process the driver described', () => {
    const engine = setup();
    engine.handle({ kind: 'process', process: { pid: 77, startTime: 1n, uid: 1000, path: DIG, commandLine: [] } }, 0);
    engine.handle(exchange({ pid: 77 }), 5);
    expect(engine.takeDnsLog()).toEqual({
      entries: [
        {
          at: 5,
          pid: 77,
          appPath: DIG,
          uid: 1000,
          name: 'example.com',
          qtype: 1,
          rcode: 0,
          addresses: ['93.184.216.34'],
          ttlSeconds: 300,
          resolver: '10.0.0.53',
        },
      ],
      dropped: 0,
    });
    expect(engine.takeDnsLog()).toEqual({ entries: [], dropped: 0 });
  });

  it('with no process from the driver, names the app of the query connection itself', () => {
    const engine = setup();
    engine.handle(
      makeRequest({
        id: 1n,
        pid: 31,
        path: DIG,
        uid: 1001,
        protocol: 17,
        remoteIp: '10.0.0.53',
        remotePort: 53,
        localPort: 45000,
      }),
      0,
    );
    engine.handle(exchange({ pid: 0, rcode: 3, addresses: [], ttlSeconds: 0 }), 1);
    expect(engine.takeDnsLog().entries).toEqual([
      expect.objectContaining({ pid: 31, appPath: DIG, uid: 1001, rcode: 3, addresses: [] }),
    ]);
  });

  it('an asker nobody knows is logged as unknown, and a DNS answer does not use up a pid-0 process report', () => {
    const engine = setup();
    engine.handle({ kind: 'process', process: { pid: 0, startTime: 0n, uid: 1002, path: '', commandLine: [] } }, 0);
    engine.handle(exchange({ pid: 999 }), 1);
    expect(engine.takeDnsLog().entries).toEqual([expect.objectContaining({ pid: 999, appPath: '', uid: null })]);
    // The pid-0 report still describes the connection that follows it.
    engine.handle(makeRequest({ id: 1n, pid: 0 }), 2);
    expect(engine.listConnections()[0]).toEqual(expect.objectContaining({ uid: 1002 }));
  });

  it('keeps a bounded backlog when nobody takes it, oldest dropped and counted', () => {
    const engine = setup();
    for (let i = 0; i < 20_005; i++) engine.handle(exchange({ name: `n${String(i)}.example` }), i);
    const { entries, dropped } = engine.takeDnsLog();
    expect(entries).toHaveLength(20_000);
    expect(dropped).toBe(5);
    expect(entries[0]?.name).toBe('n5.example');
  });
});
