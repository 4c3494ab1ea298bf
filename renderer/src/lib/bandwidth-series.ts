import type { BandwidthRange, BandwidthSeries } from '../../../app/contract/views.ts';
import { type LocaleFormat, userFormat } from './locale-format.ts';

/** Turns the store's sparse buckets into evenly spaced rates a chart can draw. */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export const RANGE_MS: Readonly<Record<BandwidthRange, number>> = {
  '5m': 5 * MINUTE,
  '1h': HOUR,
  '24h': DAY,
  '7d': 7 * DAY,
  '30d': 30 * DAY,
};

/** A range as the Range choice says it: "5 min", "1 hour", "24 hours", "7 days", "30 days". */
export function rangeLabel(range: BandwidthRange, format: LocaleFormat = userFormat()): string {
  switch (range) {
    case '5m':
      return format.duration(5, 'minute', 'short');
    case '1h':
      return format.duration(1, 'hour', 'long');
    case '24h':
      return format.duration(24, 'hour', 'long');
    case '7d':
      return format.duration(7, 'day', 'long');
    case '30d':
      return format.duration(30, 'day', 'long');
  }
}

/** The bucket widths the store picks from (finest first) for about 1000 points. */
const WIDTHS = [SECOND, 10 * SECOND, MINUTE, 10 * MINUTE, HOUR, 6 * HOUR, DAY];

/**
 * The bucket width the store uses for a range: the finest giving at most 1000 points (its finer
 * history outlives every range shorter than it, so it never has to go coarser for these).
 */
export function bucketWidth(range: BandwidthRange): number {
  const span = RANGE_MS[range];
  return WIDTHS.find((w) => Math.ceil(span / w) <= 1000) ?? DAY;
}

export interface ChartSeries {
  /** Seconds since the epoch (uPlot's time scale). */
  readonly x: number[];
  /** Bytes per second. */
  readonly sent: number[];
  readonly received: number[];
  readonly widthMs: number;
  readonly totalSent: number;
  readonly totalReceived: number;
}

/** Every bucket from `now - range` to `now`, zero where the store has none, as rates. */
export function toChartSeries(series: BandwidthSeries, range: BandwidthRange, now: number): ChartSeries {
  const widthMs = bucketWidth(range);
  const first = Math.floor((now - RANGE_MS[range]) / widthMs) * widthMs;
  const last = Math.floor(now / widthMs) * widthMs;
  const byBucket = new Map<number, [number, number]>();
  let totalSent = 0;
  let totalReceived = 0;
  series.timestamps.forEach((ts, i) => {
    const bucket = Math.floor(ts / widthMs) * widthMs;
    const sent = series.sent[i] ?? 0;
    const received = series.received[i] ?? 0;
    totalSent += sent;
    totalReceived += received;
    const entry = byBucket.get(bucket) ?? [0, 0];
    entry[0] += sent;
    entry[1] += received;
    byBucket.set(bucket, entry);
  });
  const x: number[] = [];
  const sent: number[] = [];
  const received: number[] = [];
  const perSecond = widthMs / SECOND;
  for (let bucket = first; bucket <= last; bucket += widthMs) {
    const entry = byBucket.get(bucket);
    x.push(bucket / SECOND);
    sent.push((entry?.[0] ?? 0) / perSecond);
    received.push((entry?.[1] ?? 0) / perSecond);
  }
  return { x, sent, received, widthMs, totalSent, totalReceived };
}

/**
 * A time-axis label for a tick (seconds since the epoch) when ticks are `stepSeconds` apart, in
 * local time and the user's locale: 14:05:30 for steps under a minute, 14:05 under a day, the
 * day ("26 Nov", "Nov 26") at midnight for hourly steps and for whole days.
 */
export function timeTickLabel(seconds: number, stepSeconds: number, format: LocaleFormat = userFormat()): string {
  const at = seconds * 1000;
  if (stepSeconds < 60) return format.time(at);
  const date = new Date(at);
  const midnight = date.getHours() === 0 && date.getMinutes() === 0;
  if (stepSeconds < 3600 || (stepSeconds < 86_400 && !midnight)) return format.clock(at);
  return format.day(at);
}
