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

  it('refuses a useless capacity', () => {
    expect(() => new ConnectionBuffer(0)).toThrow(RangeError);
  });
});
