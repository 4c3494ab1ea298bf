import { describe, expect, it } from 'vitest';
import type { ConnectionChanges, ConnectionRow } from '../../../app/contract/views.ts';
import { ConnectionBuffer } from './connection-buffer.ts';
import { CONNECTION_COLUMNS, type ConnectionQuery, DEFAULT_QUERY, queryConnections } from './connection-query.ts';
import { ConnectionView } from './connection-view.ts';
import { row } from './test-rows.ts';

/**
 * A view fed by a real buffer: after every flush its rows must equal a plain full query of the
 * same snapshot, and (to show the in-place path was taken) the flush must have had a delta.
 */
class Harness {
  readonly buffer: ConnectionBuffer;
  readonly view = new ConnectionView();
  snapshot: readonly ConnectionRow[] = [];

  constructor(capacity: number) {
    this.buffer = new ConnectionBuffer(capacity);
  }

  push(changes: ConnectionChanges, query: ConnectionQuery): number[] {
    this.buffer.enqueue(changes);
    this.snapshot = this.buffer.flush();
    const delta = this.buffer.deltaOf(this.snapshot);
    expect(delta).toBeDefined();
    const shown = this.view.rows(this.snapshot, query, delta).map((r) => r.id);
    expect(shown).toEqual(queryConnections(this.snapshot, query).map((r) => r.id));
    return shown;
  }
}

const byStarted: ConnectionQuery = DEFAULT_QUERY;

describe('ConnectionView', () => {
  it('keeps tie order when the first list came without a delta (a reset) and deltas follow', () => {
    const h = new Harness(100);
    const byApp: ConnectionQuery = { ...DEFAULT_QUERY, sort: { column: 'app', desc: false } };
    // Ranks in the buffer start past its first rows once some were evicted: fill, evict, then
    // show a snapshot with no delta, as after a reset.
    h.buffer.enqueue({ upserted: Array.from({ length: 100 }, (_, i) => row(i + 1)), removed: [] });
    h.buffer.flush();
    h.buffer.enqueue({ upserted: Array.from({ length: 50 }, (_, i) => row(i + 101)), removed: [] });
    h.snapshot = h.buffer.flush();
    expect(h.view.rows(h.snapshot, byApp, undefined).map((r) => r.id)).toEqual(
      queryConnections(h.snapshot, byApp).map((r) => r.id),
    );
    // Every row has the same app: the order is the ties' order, by arrival.
    h.push({ upserted: [row(120, { bytesReceived: 7 }), row(200)], removed: [130] }, byApp);
    h.push({ upserted: [row(60), row(201)], removed: [] }, byApp);
  });

  it('puts a new row at its sorted place', () => {
    const h = new Harness(10);
    h.push({ upserted: [row(1, { startedAt: 10 }), row(2, { startedAt: 30 })], removed: [] }, byStarted);
    expect(h.push({ upserted: [row(3, { startedAt: 20 })], removed: [] }, byStarted)).toEqual([2, 3, 1]);
  });

  it('moves an updated row when its key changes', () => {
    const h = new Harness(10);
    const query: ConnectionQuery = { ...DEFAULT_QUERY, sort: { column: 'received', desc: true } };
    h.push({ upserted: [row(1, { bytesReceived: 5 }), row(2, { bytesReceived: 9 })], removed: [] }, query);
    expect(h.push({ upserted: [row(1, { bytesReceived: 50 })], removed: [] }, query)).toEqual([1, 2]);
  });

  it('drops removed and evicted rows', () => {
    const h = new Harness(3);
    h.push({ upserted: [row(1), row(2), row(3)], removed: [] }, byStarted);
    expect(h.push({ upserted: [row(4)], removed: [2] }, byStarted)).toEqual([4, 3, 1]);
    expect(h.push({ upserted: [row(5)], removed: [] }, byStarted)).toEqual([5, 4, 3]);
  });

  it('sorts an evicted row that comes back with an old start time by that time', () => {
    const h = new Harness(3);
    h.push(
      { upserted: [row(1, { startedAt: 1 }), row(2, { startedAt: 2 }), row(3, { startedAt: 3 })], removed: [] },
      byStarted,
    );
    h.push({ upserted: [row(4, { startedAt: 4 })], removed: [] }, byStarted);
    // Row 1 was evicted; an update brings it back last in arrival order but first by time.
    expect(h.push({ upserted: [row(1, { startedAt: 1, bytesSent: 7 })], removed: [] }, byStarted)).toEqual([4, 3, 1]);
  });

  it('orders ties by arrival, oldest first ascending and newest first descending', () => {
    const h = new Harness(10);
    const asc: ConnectionQuery = { ...DEFAULT_QUERY, sort: { column: 'app', desc: false } };
    h.push({ upserted: [row(1), row(2)], removed: [] }, asc);
    expect(h.push({ upserted: [row(3), row(1, { bytesSent: 1 })], removed: [] }, asc)).toEqual([1, 2, 3]);
    const desc: ConnectionQuery = { ...asc, sort: { column: 'app', desc: true } };
    expect(h.view.rows(h.snapshot, desc, undefined).map((r) => r.id)).toEqual([3, 2, 1]);
  });

  it('keeps only rows that match the filter and search', () => {
    const h = new Harness(10);
    const query: ConnectionQuery = { ...DEFAULT_QUERY, search: 'ssh', filter: 'live' };
    h.push({ upserted: [row(1, { app: '/usr/bin/ssh' }), row(2)], removed: [] }, query);
    expect(
      h.push(
        { upserted: [row(1, { app: '/usr/bin/ssh', endedAt: 5 }), row(3, { app: '/usr/bin/ssh' })], removed: [] },
        query,
      ),
    ).toEqual([3]);
  });

  it('matches a full sort over many random flushes, every column both ways', () => {
    let seed = 42;
    const random = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    const apps = ['/usr/bin/curl', '/usr/bin/ssh', '/usr/lib/firefox/firefox'];
    const make = (id: number): ConnectionRow =>
      row(id, {
        app: apps[random(3)] ?? '/usr/bin/curl',
        host: random(3) === 0 ? null : `h${random(5)}.example.org`,
        remoteIp: `10.0.${random(3)}.${random(20)}`,
        remotePort: random(4),
        verdict: random(4) === 0 ? 'block' : 'accept',
        bytesSent: random(6),
        bytesReceived: random(6),
        startedAt: random(30),
        endedAt: random(2) === 0 ? null : random(30),
      });
    for (const column of CONNECTION_COLUMNS) {
      for (const desc of [false, true]) {
        const query: ConnectionQuery = { ...DEFAULT_QUERY, filter: desc ? 'all' : 'live', sort: { column, desc } };
        const h = new Harness(40);
        let next = 1;
        for (let flush = 0; flush < 60; flush += 1) {
          const upserted: ConnectionRow[] = [];
          for (let k = 1 + random(6); k > 0; k -= 1) upserted.push(make(next++));
          // Updates of any id seen so far, so evicted ones re-enter.
          for (let k = random(6); k > 0; k -= 1) upserted.push(make(1 + random(next)));
          // Updates as the engine sends them: new byte counts, or the end, of a row listed now
          // (most keep their key and are replaced in place).
          for (let k = random(8); k > 0 && h.snapshot.length > 0; k -= 1) {
            const listed = h.snapshot[random(h.snapshot.length)] as ConnectionRow;
            upserted.push(
              random(4) === 0
                ? { ...listed, endedAt: listed.endedAt ?? 31 }
                : { ...listed, bytesReceived: listed.bytesReceived + random(2) },
            );
          }
          const removed = Array.from({ length: random(3) }, () => 1 + random(next));
          h.push({ upserted, removed }, query);
        }
      }
    }
  });

  it('queries from scratch when a flush was skipped or the query changed', () => {
    const h = new Harness(10);
    h.push({ upserted: [row(1), row(2)], removed: [] }, byStarted);
    h.buffer.enqueue({ upserted: [row(3)], removed: [] });
    h.buffer.flush();
    h.buffer.enqueue({ upserted: [row(4)], removed: [1] });
    const latest = h.buffer.flush();
    // The view never saw the middle snapshot: the delta does not start from what it shows.
    expect(h.view.rows(latest, byStarted, h.buffer.deltaOf(latest)).map((r) => r.id)).toEqual([4, 3, 2]);
    const bySent: ConnectionQuery = { ...DEFAULT_QUERY, sort: { column: 'sent', desc: false } };
    expect(h.view.rows(latest, bySent, undefined).map((r) => r.id)).toEqual([2, 3, 4]);
  });
});
