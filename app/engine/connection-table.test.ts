import { describe, expect, it } from 'vitest';
import { destinationOf } from '../contract/destination.ts';
import { ConnectionTable } from './connection-table.ts';
import { makeRequest } from './testing.ts';

const APP = { path: '/usr/bin/curl', label: '/usr/bin/curl', uid: 1000 };

describe('ConnectionTable', () => {
  it('opens a row per request, updates verdict and bytes, and ends it', () => {
    const table = new ConnectionTable();
    const request = makeRequest({ id: 1n, path: '/usr/bin/curl' });
    const id = table.open(request, APP, { ip: '93.184.216.34', host: 'example.com' }, 10);
    table.setVerdict(id, 'permanent-accept', 'r1');
    table.addBytes(id, 100, 2000);
    table.end(request.flow, 20);
    expect(table.list()).toEqual([
      expect.objectContaining({
        id,
        app: '/usr/bin/curl',
        host: 'example.com',
        verdict: 'permanent-accept',
        ruleId: 'r1',
        bytesSent: 100,
        bytesReceived: 2000,
        startedAt: 10,
        endedAt: 20,
      }),
    ]);
  });

  it("gives the row the request's Destination, its address as the engine matched it (canonical)", () => {
    const table = new ConnectionTable();
    // The driver's raw text for an IPv4-mapped address; names.ip is what the engine matched.
    const request = makeRequest({ id: 1n, remoteIp: '::ffff:192.0.2.1', remotePort: 8443, protocol: 17 });
    table.open(request, APP, { ip: '192.0.2.1', host: 'example.net' }, 0);
    const [row] = table.list();
    expect(row && destinationOf(row)).toEqual({
      direction: 'outbound',
      protocol: 17,
      remoteIp: '192.0.2.1',
      remotePort: 8443,
      host: 'example.net',
    });
    expect(row).toMatchObject({ localIp: request.flow.localIp, localPort: request.flow.localPort });
  });

  it('reuses the live row when a flow is asked about again', () => {
    const table = new ConnectionTable();
    const request = makeRequest({ id: 1n });
    const a = table.open(request, APP, { ip: '93.184.216.34', host: null }, 0);
    table.setVerdict(a, 'block', null);
    const b = table.open({ ...request, requestId: 2n }, APP, { ip: '93.184.216.34', host: null }, 1);
    expect(b).toBe(a);
    expect(table.list()[0]?.verdict).toBe('pending');
  });

  it('batches changes: each dirty row once, as a copy', () => {
    const table = new ConnectionTable();
    const id = table.open(makeRequest({ id: 1n }), APP, { ip: '93.184.216.34', host: null }, 0);
    table.setVerdict(id, 'accept', null);
    table.addBytes(id, 1, 1);
    const changes = table.takeChanges();
    expect(changes.upserted).toHaveLength(1);
    expect(changes.upserted[0]?.bytesSent).toBe(1);
    expect(table.takeChanges()).toEqual({ upserted: [], removed: [] });
  });

  it('is ring-bounded: the oldest live and the oldest ended rows go, reported as removed', () => {
    const table = new ConnectionTable({ maxLive: 3, maxEnded: 1 });
    const ids = [1n, 2n, 3n, 4n].map((n) =>
      table.open(makeRequest({ id: n, localPort: 1000 + Number(n) }), APP, { ip: '93.184.216.34', host: null }, 0),
    );
    expect(table.liveCount).toBe(3);
    table.end(makeRequest({ id: 2n, localPort: 1002 }).flow, 1);
    table.end(makeRequest({ id: 3n, localPort: 1003 }).flow, 2);
    const changes = table.takeChanges();
    expect(changes.removed).toEqual([ids[0], ids[1]]);
    expect(table.list().map((r) => r.id)).toEqual([ids[3], ids[2]]);
  });

  it('fills in a host name learned later for rows that had none', () => {
    const table = new ConnectionTable();
    const id = table.open(makeRequest({ id: 1n }), APP, { ip: '93.184.216.34', host: null }, 0);
    table.takeChanges();
    table.nameLearned('93.184.216.34', 'example.com');
    expect(table.takeChanges().upserted).toEqual([expect.objectContaining({ id, host: 'example.com' })]);
    table.nameLearned('93.184.216.34', 'other.example');
    expect(table.list()[0]?.host).toBe('example.com');
  });
});
