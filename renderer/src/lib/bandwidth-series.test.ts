import { describe, expect, it } from 'vitest';
import { BANDWIDTH_RANGES } from '../../../app/contract/views.ts';
import { bucketWidth, rangeLabel, timeTickLabel, toChartSeries } from './bandwidth-series.ts';
import { formatFor } from './locale-format.ts';

describe('toChartSeries', () => {
  const now = 1_700_000_000_000;
  it('fills every second of 5 minutes, as rates, zero where nothing moved', () => {
    const t = Math.floor(now / 1000) * 1000 - 10_000;
    const chart = toChartSeries({ timestamps: [t, t + 2000], sent: [100, 0], received: [1000, 5000] }, '5m', now);
    expect(chart.widthMs).toBe(1000);
    expect(chart.x.length).toBeGreaterThanOrEqual(300);
    const at = chart.x.indexOf(t / 1000);
    expect(chart.received.slice(at, at + 3)).toEqual([1000, 0, 5000]);
    expect(chart.sent[at]).toBe(100);
    expect(chart.totalReceived).toBe(6000);
    expect(chart.totalSent).toBe(100);
  });

  it('turns bytes per bucket into bytes per second for wider buckets', () => {
    const t = Math.floor(now / 60_000) * 60_000 - 60_000;
    const chart = toChartSeries({ timestamps: [t], sent: [6000], received: [0] }, '24h', now);
    expect(chart.widthMs).toBe(600_000);
    const bucket = Math.floor(t / 600_000) * 600_000;
    expect(chart.sent[chart.x.indexOf(bucket / 1000)]).toBe(10);
  });

  it('uses the widths the store picks per range', () => {
    expect(bucketWidth('5m')).toBe(1000);
    expect(bucketWidth('1h')).toBe(10_000);
    expect(bucketWidth('24h')).toBe(600_000);
    expect(bucketWidth('7d')).toBe(3_600_000);
    expect(bucketWidth('30d')).toBe(3_600_000);
  });
});

describe('timeTickLabel', () => {
  const at = (h: number, m: number, s = 0): number => new Date(2026, 10, 26, h, m, s).getTime() / 1000;
  const gb = formatFor('en-GB');
  it('shows seconds, minutes or days by tick spacing', () => {
    expect(timeTickLabel(at(14, 5, 30), 30, gb)).toBe('14:05:30');
    expect(timeTickLabel(at(14, 5), 300, gb)).toBe('14:05');
    expect(timeTickLabel(at(0, 0), 300, gb)).toBe('00:00');
    expect(timeTickLabel(at(6, 0), 6 * 3600, gb)).toBe('06:00');
    expect(timeTickLabel(at(0, 0), 6 * 3600, gb)).toBe('26 Nov');
    expect(timeTickLabel(at(0, 0), 86_400, gb)).toBe('26 Nov');
  });
  it('says times and days in the given locale', () => {
    const us = formatFor('en-US');
    expect(timeTickLabel(at(14, 5), 300, us)).toBe('02:05 PM');
    expect(timeTickLabel(at(0, 0), 86_400, us)).toBe('Nov 26');
    expect(timeTickLabel(at(0, 0), 86_400, formatFor('de-DE'))).toBe('26. Nov.');
  });
});

describe('rangeLabel', () => {
  it('says each range in the locale', () => {
    const us = formatFor('en-US');
    expect(BANDWIDTH_RANGES.map((range) => rangeLabel(range, us))).toEqual([
      '5 min',
      '1 hour',
      '24 hours',
      '7 days',
      '30 days',
    ]);
    expect(rangeLabel('24h', formatFor('de-DE'))).toBe('24 Stunden');
  });
});
