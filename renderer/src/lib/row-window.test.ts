import { describe, expect, it } from 'vitest';
import { anchoredTop, MAX_ROW_OFFSET, nextRowOffset, visibleRange } from './row-window.ts';

const ids = (...list: number[]): { id: number }[] => list.map((id) => ({ id }));
/** Rows `from`..`to` (inclusive), newest first as the Connections view shows them. */
const newestFirst = (from: number, to: number): { id: number }[] =>
  Array.from({ length: to - from + 1 }, (_, k) => ({ id: to - k }));

describe('visibleRange', () => {
  it('covers the viewport plus the overscan, clamped to the rows', () => {
    expect(visibleRange(0, 100, 1000, 10, 3)).toEqual({ first: 0, end: 13 });
    expect(visibleRange(505, 100, 1000, 10, 3)).toEqual({ first: 47, end: 64 });
    expect(visibleRange(9850, 100, 1000, 10, 3)).toEqual({ first: 982, end: 998 });
    expect(visibleRange(9900, 100, 1000, 10, 3)).toEqual({ first: 987, end: 1000 });
  });

  it('is empty without rows and sane for odd inputs', () => {
    expect(visibleRange(0, 100, 0, 10, 3)).toEqual({ first: 0, end: 0 });
    expect(visibleRange(-50, 100, 5, 10, 3)).toEqual({ first: 0, end: 5 });
    // Scrolled past the end (the rows shrank under the scroll position): the last screenful.
    expect(visibleRange(5000, 100, 20, 10, 3)).toEqual({ first: 7, end: 20 });
    expect(visibleRange(5000, 100, 5, 10, 3)).toEqual({ first: 0, end: 5 });
    expect(visibleRange(0, 100, 10, 0, 3)).toEqual({ first: 0, end: 0 });
  });
});

describe('anchoredTop', () => {
  it('follows the newest rows at the very top', () => {
    expect(anchoredTop(newestFirst(1, 100), newestFirst(1, 150), 0, 10)).toBe(0);
  });

  it('keeps the row at the top of the viewport in place when rows arrive above it', () => {
    const prev = newestFirst(1, 100);
    const next = newestFirst(1, 150);
    // Row 80 is at index 20 (top 200, 5 px into it); 50 rows arrived above it.
    const top = anchoredTop(prev, next, 205, 10);
    expect(top).toBe(705);
    expect(next[Math.floor(top / 10)]?.id).toBe(80);
  });

  it('follows the anchor when rows above it go', () => {
    const prev = newestFirst(1, 100);
    const next = prev.filter((r) => r.id < 90 || r.id > 95);
    const top = anchoredTop(prev, next, 200, 10);
    expect(next[top / 10]?.id).toBe(80);
  });

  it('keeps the next row in place when the first one went, and stays put when all went', () => {
    const prev = newestFirst(1, 100);
    const next = prev.filter((r) => r.id !== 80);
    // Row 79 was one row below the top of the viewport and still is.
    expect(next[anchoredTop(prev, next, 200, 10) / 10 + 1]?.id).toBe(79);
    expect(anchoredTop(prev, ids(500, 501), 200, 10)).toBe(200);
  });

  it('matches by id, not by object: an updated row is a new object', () => {
    const prev = newestFirst(1, 10);
    const next = [...ids(11, 12), ...prev.map((r) => ({ ...r }))];
    expect(anchoredTop(prev, next, 30, 10)).toBe(50);
  });

  it('does not follow one row that moved far on its own (a sort by bytes)', () => {
    const prev = newestFirst(1, 1000);
    // The row at the top of the viewport (index 200) climbed to index 3; the others kept their places.
    const climber = prev[200] as { id: number };
    const next = prev.filter((r) => r !== climber);
    next.splice(3, 0, climber);
    expect(anchoredTop(prev, next, 2000, 10)).toBe(2000);
  });

  it('moves by the shift most rows at the top agree on', () => {
    const prev = newestFirst(1, 1000);
    // 30 rows arrived above, and one of the rows at the top climbed above them.
    const climber = prev[202] as { id: number };
    const next = [...newestFirst(1001, 1030), ...prev.filter((r) => r !== climber)];
    next.splice(0, 0, climber);
    // Rows 200 and 201 moved by 31, the ones after the climber by 30: 30 wins by number.
    expect(anchoredTop(prev, next, 2000, 10)).toBe(2300);
  });

  it('stays put when the rows at the top all moved differently (a reversed list)', () => {
    const prev = newestFirst(1, 1000);
    expect(anchoredTop(prev, [...prev].reverse(), 100, 10)).toBe(100);
  });
});

describe('anchoredTop at the bottom of a full table', () => {
  it('finds an anchor that moved beyond the near search, and stays put when none is left', () => {
    // 10 000 rows arrived above the viewport at once (more than the near search reaches).
    const prev = newestFirst(1, 20_000);
    const next = newestFirst(1, 30_000);
    expect(anchoredTop(prev, next, 100 * 10, 10)).toBe(10_100 * 10);
    // The oldest rows (at the bottom, where the viewport is) were evicted.
    const evicted = newestFirst(20, 30_000);
    expect(anchoredTop(prev, evicted, 19_990 * 10, 10)).toBe(19_990 * 10);
  });
});

describe('nextRowOffset', () => {
  it('adds the shift that kept the rows in place, and is 0 at the top', () => {
    expect(nextRowOffset(0, 340, 340 + 8500)).toBe(8500);
    expect(nextRowOffset(8500, 8840, 8840 + 34)).toBe(8534);
    expect(nextRowOffset(8534, 8874, 0)).toBe(0);
  });

  it('stays bounded at the end of a full table, where the position is pulled back after every flush', () => {
    // 100 000 rows of 34 px, scrolled to the end; each flush brings 5 rows, the anchoring moves
    // the position down by 170 px and the browser clamps it back to the end.
    const end = 100_000 * 34 - 900;
    let offset = 0;
    let largest = 0;
    for (let flush = 0; flush < 20_000; flush += 1) {
      offset = nextRowOffset(offset, end, end + 170);
      largest = Math.max(largest, Math.abs(offset));
    }
    expect(largest).toBeLessThanOrEqual(MAX_ROW_OFFSET);
    expect(largest).toBeGreaterThan(MAX_ROW_OFFSET - 170); // it did grow, and came back
  });
});
