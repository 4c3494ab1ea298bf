import { describe, expect, it } from 'vitest';
import { DEFAULT_QUERY, ipSortKey, queryConnections, verdictGroup, verdictLabel } from './connection-query.ts';
import { row } from './test-rows.ts';

const rows = [
  row(1, { app: '/usr/bin/curl', host: 'example.org', bytesReceived: 10, verdict: 'accept' }),
  row(2, { app: '/usr/lib/firefox/firefox', host: null, verdict: 'permanent-block', bytesReceived: 500 }),
  row(3, {
    app: '/usr/bin/ssh',
    host: 'git.example.com',
    verdict: 'pending',
    protocol: 17,
    localIp: '10.0.0.1',
    localPort: 5,
    remoteIp: '10.0.0.10',
    remotePort: 53,
    endedAt: 5000,
  }),
];

describe('queryConnections', () => {
  it('sorts newest first by default', () => {
    expect(queryConnections(rows, DEFAULT_QUERY).map((r) => r.id)).toEqual([3, 2, 1]);
  });

  it('sorts by any column both ways, ties in arrival order', () => {
    const byApp = queryConnections(rows, { ...DEFAULT_QUERY, sort: { column: 'app', desc: false } });
    expect(byApp.map((r) => r.id)).toEqual([1, 2, 3]);
    const byReceived = queryConnections(rows, { ...DEFAULT_QUERY, sort: { column: 'received', desc: true } });
    expect(byReceived.map((r) => r.id)).toEqual([2, 1, 3]);
    const byHost = queryConnections(rows, { ...DEFAULT_QUERY, sort: { column: 'host', desc: false } });
    expect(byHost.map((r) => r.id)).toEqual([1, 3, 2]);
    const byEnded = queryConnections(rows, { ...DEFAULT_QUERY, sort: { column: 'ended', desc: false } });
    expect(byEnded.map((r) => r.id)).toEqual([3, 1, 2]);
  });

  it('searches app, host, address, port, protocol and verdict', () => {
    const ids = (search: string): number[] =>
      queryConnections(rows, { ...DEFAULT_QUERY, search, sort: { column: 'started', desc: false } }).map((r) => r.id);
    expect(ids('FIREFOX')).toEqual([2]);
    expect(ids('example')).toEqual([1, 3]);
    expect(ids('10.0.0.10')).toEqual([3]);
    expect(ids('53')).toEqual([3]);
    expect(ids('udp')).toEqual([3]);
    expect(ids('blocked')).toEqual([2]);
    expect(ids('  ')).toEqual([1, 2, 3]);
  });

  it('filters by verdict group, liveness and app', () => {
    const q = (patch: Partial<typeof DEFAULT_QUERY>): number[] =>
      queryConnections(rows, { ...DEFAULT_QUERY, ...patch }).map((r) => r.id);
    expect(q({ filter: 'allowed' })).toEqual([1]);
    expect(q({ filter: 'blocked' })).toEqual([2]);
    expect(q({ filter: 'pending' })).toEqual([3]);
    expect(q({ filter: 'live' })).toEqual([2, 1]);
    expect(q({ app: '/usr/bin/ssh' })).toEqual([3]);
  });

  it('sorts 100 000 rows by bytes sent, largest first', () => {
    const many = Array.from({ length: 100_000 }, (_, i) => row(i, { bytesSent: (i * 7919) % 100_003 }));
    const sorted = queryConnections(many, { ...DEFAULT_QUERY, sort: { column: 'sent', desc: true } });
    expect(sorted[0]?.bytesSent).toBe(100_002);
    expect(sorted.every((r, i) => i === 0 || (sorted[i - 1]?.bytesSent ?? 0) >= r.bytesSent)).toBe(true);
  });
});

describe('verdicts and addresses', () => {
  it('groups and names verdicts', () => {
    expect(verdictGroup('permanent-accept')).toBe('allowed');
    expect(verdictGroup('drop')).toBe('blocked');
    expect(verdictLabel('permanent-drop')).toBe('Dropped');
    expect(verdictLabel('pending')).toBe('Waiting');
    // Answered by the driver alone (the link was lost): neither allowed nor blocked as far as we know.
    expect(verdictGroup('driver')).toBe('driver');
    expect(verdictLabel('driver')).toBe('By driver');
  });
  it('orders IPv4 numerically, then IPv6', () => {
    const sorted = ['10.0.0.10', '2001:db8::1', '10.0.0.9', '9.9.9.9'].sort((a, b) =>
      ipSortKey(a) < ipSortKey(b) ? -1 : 1,
    );
    expect(sorted).toEqual(['9.9.9.9', '10.0.0.9', '10.0.0.10', '2001:db8::1']);
  });
});
