import { describe, expect, it } from 'vitest';
import { ConnectionBuffer } from './connection-buffer.ts';
import { row } from './test-rows.ts';

describe('ConnectionBuffer', () => {
  it('applies queued batches only on flush, in order', () => {
    const buffer = new ConnectionBuffer(10);
    const empty = buffer.flush();
    buffer.enqueue({ upserted: [row(1), row(2)], removed: [] });
    buffer.enqueue({ upserted: [row(1, { bytesSent: 50 })], removed: [2] });
    expect(buffer.size).toBe(0);
    const rows = buffer.flush();
    expect(rows).not.toBe(empty);
    expect(rows.map((r) => [r.id, r.bytesSent])).toEqual([[1, 50]]);
  });

  it('returns the same array when nothing changed', () => {
    const buffer = new ConnectionBuffer(10);
    buffer.enqueue({ upserted: [row(1)], removed: [] });
    const first = buffer.flush();
    buffer.enqueue({ upserted: [], removed: [] });
    expect(buffer.flush()).toBe(first);
  });

  it('keeps an updated row in its place and evicts the oldest past capacity', () => {
    const buffer = new ConnectionBuffer(3);
    buffer.enqueue({ upserted: [row(1), row(2), row(3)], removed: [] });
    buffer.enqueue({ upserted: [row(1, { verdict: 'block' }), row(4)], removed: [] });
    expect(buffer.flush().map((r) => r.id)).toEqual([2, 3, 4]);
  });

  it('resets to a full listing and keeps batches queued after dropQueued', () => {
    const buffer = new ConnectionBuffer(10);
    buffer.enqueue({ upserted: [row(9)], removed: [] });
    buffer.dropQueued();
    buffer.enqueue({ upserted: [row(2, { bytesReceived: 7 })], removed: [] });
    expect(buffer.reset([row(1), row(2)]).map((r) => r.id)).toEqual([1, 2]);
    expect(buffer.flush().map((r) => [r.id, r.bytesReceived])).toEqual([
      [1, 0],
      [2, 7],
    ]);
  });

  it('holds 100 000 rows and takes a burst of 1000 events in one flush', () => {
    const buffer = new ConnectionBuffer(100_000);
    buffer.reset(Array.from({ length: 100_000 }, (_, i) => row(i)));
    for (let i = 0; i < 1000; i += 1) buffer.enqueue({ upserted: [row(100_000 + i)], removed: [] });
    const rows = buffer.flush();
    expect(rows).toHaveLength(100_000);
    expect(rows[0]?.id).toBe(1000);
    expect(rows.at(-1)?.id).toBe(100_999);
  });

  it('keeps the live count of the latest snapshot through updates, removals, evictions and a reset', () => {
    const buffer = new ConnectionBuffer(20);
    const counted = (rows: readonly { endedAt: number | null }[]): number =>
      rows.filter((r) => r.endedAt === null).length;
    // A fixed pseudo-random walk: rows start, end, come back live (a reused id), go, and overflow the ring.
    let seed = 7;
    const next = (n: number): number => {
      seed = (seed * 48271) % 2147483647; // exact in a double: 48271 * 2^31 < 2^53
      return seed % n;
    };
    let snapshot = buffer.flush();
    for (let flush = 0; flush < 40; flush += 1) {
      for (let batch = 0; batch < 3; batch += 1) {
        const upserted = Array.from({ length: next(12) }, () =>
          row(next(80), { endedAt: next(2) === 0 ? null : 1_700_000_000_000 }),
        );
        const removed = Array.from({ length: next(3) }, () => next(80));
        buffer.enqueue({ upserted, removed });
      }
      if (flush === 20) snapshot = buffer.reset([row(1), row(2, { endedAt: 5 }), row(3)]);
      else snapshot = buffer.flush();
      expect(buffer.liveOf(snapshot)).toBe(counted(snapshot));
    }
    expect(counted(snapshot)).toBeGreaterThan(0);
    expect(snapshot.length).toBe(20); // full: later rows evicted older ones
    // An older snapshot has no count: the caller counts it itself.
    const older = snapshot;
    buffer.enqueue({ upserted: [row(999)], removed: [] });
    buffer.flush();
    expect(buffer.liveOf(older)).toBeUndefined();
  });

  it('refuses a useless capacity', () => {
    expect(() => new ConnectionBuffer(0)).toThrow(RangeError);
  });
});
