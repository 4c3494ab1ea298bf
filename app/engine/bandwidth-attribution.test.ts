import { describe, expect, it } from 'vitest';
import { BandwidthAttribution } from './bandwidth-attribution.ts';
import { ConnectionTable } from './connection-table.ts';
import { makeRequest } from './testing.ts';

describe('BandwidthAttribution', () => {
  it('adds samples to connections and to apps per second', () => {
    const table = new ConnectionTable();
    const curl = makeRequest({ id: 1n, path: '/usr/bin/curl' });
    const unknown = makeRequest({ id: 2n, remoteIp: '1.1.1.1' });
    const a = table.open(
      curl,
      { path: '/usr/bin/curl', label: '/usr/bin/curl', uid: 1 },
      { ip: '93.184.216.34', host: null },
      0,
    );
    table.open(unknown, { path: '', label: 'unknown (uid 7)', uid: 7 }, { ip: '1.1.1.1', host: null }, 0);
    const bandwidth = new BandwidthAttribution(table);
    const stranger = { ...curl.flow, localPort: 9 };
    bandwidth.add(
      {
        kind: 'bandwidth',
        samples: [
          { flow: curl.flow, transmitted: 10n, received: 20n },
          { flow: unknown.flow, transmitted: 1n, received: 0n },
          { flow: stranger, transmitted: 5n, received: 5n },
          { flow: curl.flow, transmitted: 0n, received: 0n },
        ],
      },
      1500,
    );
    bandwidth.add({ kind: 'bandwidth', samples: [{ flow: curl.flow, transmitted: 1n, received: 2n }] }, 1999);
    bandwidth.add({ kind: 'bandwidth', samples: [{ flow: curl.flow, transmitted: 3n, received: 4n }] }, 2000);
    expect(table.list().find((r) => r.id === a)).toMatchObject({ bytesSent: 14, bytesReceived: 26 });
    expect(bandwidth.takeAppBuckets()).toEqual([
      { second: 1, app: '/usr/bin/curl', transmitted: 11, received: 22 },
      { second: 1, app: 'unknown (uid 7)', transmitted: 1, received: 0 },
      { second: 1, app: 'unknown', transmitted: 5, received: 5 },
      { second: 2, app: '/usr/bin/curl', transmitted: 3, received: 4 },
    ]);
    expect(bandwidth.takeAppBuckets()).toEqual([]);
  });

  it('attributes late samples of an ended connection, and caps untaken seconds', () => {
    const table = new ConnectionTable();
    const curl = makeRequest({ id: 1n });
    table.open(curl, { path: '/bin/x', label: '/bin/x', uid: null }, { ip: '93.184.216.34', host: null }, 0);
    table.end(curl.flow, 1);
    const bandwidth = new BandwidthAttribution(table, 2);
    for (const now of [1000, 2000, 3000]) {
      bandwidth.add({ kind: 'bandwidth', samples: [{ flow: curl.flow, transmitted: 1n, received: 1n }] }, now);
    }
    expect(bandwidth.takeAppBuckets().map((b) => [b.second, b.app])).toEqual([
      [2, '/bin/x'],
      [3, '/bin/x'],
    ]);
  });
});
