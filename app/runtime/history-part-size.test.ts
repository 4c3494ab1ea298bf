import { describe, expect, it } from 'vitest';
import { HistoryPartSize } from './history-part-size.ts';

const options = { budgetMs: 4, minRows: 50, maxRows: 1000, startMsPerRow: 0.04 };

describe('HistoryPartSize', () => {
  it('starts from its guess: a budget of 4 ms at 40 µs a row is 100 rows', () => {
    expect(new HistoryPartSize(options).rows).toBe(100);
  });

  it('takes fewer rows a part once rows are slow, never fewer than the minimum', () => {
    const size = new HistoryPartSize(options);
    size.took(100, 5); // 50 µs a row
    expect(size.rows).toBeLessThan(100);
    for (let i = 0; i < 30; i++) size.took(size.rows, size.rows * 0.05);
    // Settles at what fits the budget at 50 µs a row.
    expect(size.rows).toBeGreaterThanOrEqual(78);
    expect(size.rows).toBeLessThanOrEqual(80);
    for (let i = 0; i < 20; i++) size.took(50, 50); // a very slow disk: 1 ms a row
    expect(size.rows).toBe(50);
  });

  it('takes more rows a part once rows are fast, never more than the maximum', () => {
    const size = new HistoryPartSize(options);
    for (let i = 0; i < 30; i++) size.took(size.rows, size.rows * 0.008); // 8 µs a row
    // About what fits the budget at 8 µs a row (the estimate nears 8 µs from above).
    expect(size.rows).toBeGreaterThanOrEqual(495);
    expect(size.rows).toBeLessThanOrEqual(500);
    for (let i = 0; i < 30; i++) size.took(size.rows, size.rows * 0.0001);
    expect(size.rows).toBe(1000);
  });

  it('ignores writes too small to measure rows, and times a clock got wrong', () => {
    const size = new HistoryPartSize(options);
    size.took(3, 30); // a commit of 3 rows that took long: the commit's cost, not the rows'
    size.took(100, -5);
    size.took(100, Number.NaN);
    size.took(100, Number.POSITIVE_INFINITY);
    expect(size.msPerRow).toBe(0.04);
    expect(size.rows).toBe(100);
  });

  it('follows a change of pace within a few writes, not at once', () => {
    const size = new HistoryPartSize(options);
    size.took(100, 10); // one slow write (100 µs a row)
    expect(size.rows).toBeGreaterThan(options.minRows);
    for (let i = 0; i < 10; i++) size.took(100, 10);
    expect(size.rows).toBe(options.minRows);
  });

  it('refuses bounds that cannot size a part', () => {
    expect(() => new HistoryPartSize({ ...options, budgetMs: 0 })).toThrow(RangeError);
    expect(() => new HistoryPartSize({ ...options, startMsPerRow: -1 })).toThrow(RangeError);
    expect(() => new HistoryPartSize({ ...options, minRows: 0 })).toThrow(RangeError);
    expect(() => new HistoryPartSize({ ...options, minRows: 10, maxRows: 5 })).toThrow(RangeError);
  });
});
