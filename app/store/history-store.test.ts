import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from './open-store.ts';
import type { Store } from './store.ts';
import { historyRow } from './test-support/fixtures.ts';
import { tempDbPath } from './test-support/temp-db.ts';

const DAY = 86_400_000;
let store: Store;
function fresh(): Store {
  store = openStore(tempDbPath());
  return store;
}
afterEach(() => store.close());

const ids = (rows: readonly { id: string }[]): string[] => rows.map((row) => row.id);
const ALL = { since: 0, until: Number.MAX_SAFE_INTEGER, limit: 10_000 };

describe('history', () => {
  it('inserts a batch and reads every field back, newest first', () => {
    const s = fresh();
    const a = historyRow('a', { startedAt: 10, uid: null, host: null, ruleId: 'r1', verdict: 'block' });
    const b = historyRow('b', { startedAt: 20, direction: 'inbound', protocol: 17, localIp: '::1', remoteIp: '::2' });
    s.history.insertBatch([a, b]);
    expect(s.history.query(ALL)).toEqual([b, a]);
    expect(s.history.count()).toBe(2);
  });

  it('filters by time window and app, and pages with limit and offset', () => {
    const s = fresh();
    const rows = Array.from({ length: 10 }, (_, i) =>
      historyRow(`c${i}`, { startedAt: i * 100, appPath: i % 2 === 0 ? '/bin/even' : '/bin/odd' }),
    );
    s.history.insertBatch(rows);
    expect(ids(s.history.query({ since: 200, until: 500, limit: 100 }))).toEqual(['c4', 'c3', 'c2']);
    expect(ids(s.history.query({ ...ALL, appPath: '/bin/odd', limit: 2 }))).toEqual(['c9', 'c7']);
    expect(ids(s.history.query({ ...ALL, appPath: '/bin/odd', limit: 2, offset: 2 }))).toEqual(['c5', 'c3']);
    expect(s.history.query({ ...ALL, appPath: '/bin/none' })).toEqual([]);
  });

  it('rejects invalid query options', () => {
    const s = fresh();
    expect(() => s.history.query({ ...ALL, limit: 0 })).toThrow();
    expect(() => s.history.query({ ...ALL, limit: 1_000_000 })).toThrow();
    expect(() => s.history.query({ ...ALL, offset: -1 })).toThrow();
  });

  it('inserts all of a batch or none of it', () => {
    const s = fresh();
    s.history.insertBatch([historyRow('dup')]);
    expect(() => s.history.insertBatch([historyRow('new'), historyRow('dup')])).toThrow(/UNIQUE/);
    expect(ids(s.history.query(ALL))).toEqual(['dup']);
    // The CHECK constraints guard the columns too.
    expect(() => s.history.insertBatch([historyRow('x', { remotePort: 70_000 })])).toThrow(/CHECK/);
  });

  it('reads rows an earlier run stored with the raw address text back as canonical Destinations', () => {
    // Earlier runs stored the driver's text as it came (IPv4-mapped IPv6 among it); such a file
    // is written here by the store itself, closed and opened again, as after an upgrade.
    const file = tempDbPath();
    const writer = openStore(file);
    writer.history.insertBatch([
      historyRow('mapped', { startedAt: 10, remoteIp: '::ffff:192.0.2.1' }),
      historyRow('long', { startedAt: 20, remoteIp: '2001:DB8:0:0:0:0:0:1' }),
      historyRow('damaged', { startedAt: 30, remoteIp: 'not an address', host: null }),
    ]);
    writer.close();
    store = openStore(file);
    const read = store.history.query(ALL).map(({ id, remoteIp, host }) => ({ id, remoteIp, host }));
    expect(read).toEqual([
      // A text that is no address (a damaged file) reads back as it is, not as a failed page.
      { id: 'damaged', remoteIp: 'not an address', host: null },
      { id: 'long', remoteIp: '2001:db8::1', host: 'example.com' },
      { id: 'mapped', remoteIp: '192.0.2.1', host: 'example.com' },
    ]);
  });

  it('updates end times and byte totals in a batch, keeping absent fields', () => {
    const s = fresh();
    s.history.insertBatch([historyRow('a'), historyRow('b', { bytesSent: 5 })]);
    s.history.updateBatch([
      { id: 'a', endedAt: 2_000, bytesSent: 10, bytesReceived: 20 },
      { id: 'b', bytesReceived: 7 },
      { id: 'unknown', endedAt: 1 },
    ]);
    const [b, a] = s.history.query(ALL);
    expect(a).toMatchObject({ id: 'a', endedAt: 2_000, bytesSent: 10, bytesReceived: 20 });
    expect(b).toMatchObject({ id: 'b', endedAt: null, bytesSent: 5, bytesReceived: 7 });
    s.history.updateBatch([{ id: 'a', endedAt: null }]);
    expect(s.history.query({ ...ALL, limit: 1, offset: 1 })[0]?.endedAt).toBeNull();
  });
});

describe('history retention', () => {
  const now = 100 * DAY;

  it('deletes connections older than maxAgeMs (default 30 days)', () => {
    const s = fresh();
    s.history.insertBatch([
      historyRow('old', { startedAt: now - 31 * DAY }),
      historyRow('edge', { startedAt: now - 30 * DAY }),
      historyRow('new', { startedAt: now - DAY }),
    ]);
    expect(s.history.prune({}, now)).toEqual({ deleted: 1, done: true });
    expect(ids(s.history.query(ALL))).toEqual(['new', 'edge']);
    expect(s.history.prune({ maxAgeMs: 2 * DAY }, now)).toEqual({ deleted: 1, done: true });
    expect(ids(s.history.query(ALL))).toEqual(['new']);
  });

  it('keeps at most maxRows, deleting the oldest first, in chunks', () => {
    const s = fresh();
    // Inserted out of order: "oldest" means startedAt, not insertion order.
    const rows = Array.from({ length: 1000 }, (_, i) => historyRow(`c${i}`, { startedAt: now - ((i * 7919) % 1000) }));
    s.history.insertBatch(rows);
    expect(s.history.prune({ maxRows: 250, chunkSize: 100 }, now)).toEqual({ deleted: 750, done: true });
    const kept = s.history.query(ALL);
    expect(kept).toHaveLength(250);
    expect(Math.min(...kept.map((row) => row.startedAt))).toBe(now - 249);
  });

  it('stops after maxChunks and finishes on the next call', () => {
    const s = fresh();
    s.history.insertBatch(Array.from({ length: 500 }, (_, i) => historyRow(`c${i}`, { startedAt: i })));
    expect(s.history.prune({ maxRows: 100, chunkSize: 100, maxChunks: 2 }, 1000)).toEqual({
      deleted: 200,
      done: false,
    });
    expect(s.history.prune({ maxRows: 100, chunkSize: 100 }, 1000)).toEqual({ deleted: 200, done: true });
    expect(s.history.count()).toBe(100);
    expect(s.history.prune({ maxRows: 100 }, 1000)).toEqual({ deleted: 0, done: true });
  });

  it('applies both limits together', () => {
    const s = fresh();
    s.history.insertBatch(Array.from({ length: 10 }, (_, i) => historyRow(`c${i}`, { startedAt: now - i * DAY })));
    expect(s.history.prune({ maxAgeMs: 5 * DAY, maxRows: 3 }, now)).toEqual({ deleted: 7, done: true });
    expect(ids(s.history.query(ALL))).toEqual(['c0', 'c1', 'c2']);
  });
});
