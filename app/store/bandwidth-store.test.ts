import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from './open-store.ts';
import type { BandwidthSeries, Store } from './store.ts';
import { tempDbPath } from './test-support/temp-db.ts';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const APPS = ['/usr/bin/curl', '/usr/bin/firefox', '/opt/app/sync'];

let store: Store;
let path: string;
function fresh(): Store {
  path = tempDbPath();
  store = openStore(path);
  return store;
}
afterEach(() => store.close());

const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);
const totals = (series: BandwidthSeries): [number, number] => [sum(series.tx), sum(series.rx)];

/** Deterministic pseudo-random numbers (a linear congruential generator). */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

function rowsPerResolution(): Record<string, number> {
  const db = new DatabaseSync(path);
  const rows = db.prepare('SELECT resolution, count(*) AS n FROM bandwidth GROUP BY resolution').all();
  db.close();
  return Object.fromEntries(rows.map((row) => [String(row['resolution']), Number(row['n'])]));
}

describe('bandwidth', () => {
  it('still answers a series when its flush is refused (a full disk), keeping the buffered bytes', () => {
    const s = fresh();
    s.bandwidth.add('/a', 1_000, 1, 10);
    s.bandwidth.flush();
    // Another connection makes every new write fail, as a full disk would.
    const other = new DatabaseSync(path);
    other.exec(`CREATE TRIGGER refuse BEFORE INSERT ON bandwidth BEGIN SELECT RAISE(FAIL, 'disk is full'); END`);
    s.bandwidth.add('/a', 5_000, 2, 20);
    expect(() => s.bandwidth.flush()).toThrow(/disk is full/);
    expect(totals(s.bandwidth.series('/a', 0, 10_000))).toEqual([1, 10]);
    other.exec('DROP TRIGGER refuse');
    other.close();
    expect(totals(s.bandwidth.series('/a', 0, 10_000))).toEqual([3, 30]);
  });

  it('adds samples into 1 s buckets and writes them on flush, adding to stored buckets', () => {
    const s = fresh();
    s.bandwidth.add('/a', 1_000, 1, 10);
    s.bandwidth.add('/a', 1_999, 2, 20);
    s.bandwidth.add('/a', 2_000, 4, 40);
    s.bandwidth.add('/b', 1_500, 8, 80);
    s.bandwidth.flush();
    s.bandwidth.add('/a', 1_200, 100, 1000);
    s.bandwidth.flush();
    expect(s.bandwidth.series('/a', 0, 10_000)).toEqual({
      resolutionMs: 1000,
      ts: [1000, 2000],
      tx: [103, 4],
      rx: [1030, 40],
    });
    expect(s.bandwidth.series(null, 0, 10_000)).toEqual({
      resolutionMs: 1000,
      ts: [1000, 2000],
      tx: [111, 4],
      rx: [1110, 40],
    });
    expect(s.bandwidth.series('/a', 0, 10_000, { resolution: 10_000 })).toEqual({
      resolutionMs: 10_000,
      ts: [0],
      tx: [107],
      rx: [1070],
    });
  });

  it('rejects negative, fractional or unsafe byte counts', () => {
    const s = fresh();
    expect(() => s.bandwidth.add('/a', 0, -1, 0)).toThrow();
    expect(() => s.bandwidth.add('/a', 0, 0, 0.5)).toThrow();
    expect(() => s.bandwidth.add('/a', Number.NaN, 0, 0)).toThrow();
    expect(() => s.bandwidth.series('/a', 10, 0)).toThrow(/earlier to a later/);
  });

  it("picks an 'auto' resolution that fits maxPoints", () => {
    const s = fresh();
    for (let t = 0; t < 2 * HOUR; t += SECOND) s.bandwidth.add('/a', t, 1, 2);
    expect(s.bandwidth.series('/a', 0, 10 * MINUTE).resolutionMs).toBe(SECOND);
    const hourly = s.bandwidth.series('/a', 0, 2 * HOUR, { maxPoints: 200 });
    expect(hourly.resolutionMs).toBe(MINUTE);
    expect(hourly.ts).toHaveLength(120);
    expect(totals(hourly)).toEqual([7200, 14_400]);
    expect(s.bandwidth.series(null, 0, 30 * DAY).resolutionMs).toBe(HOUR);
  });

  it('downsamples 1 s -> 1 min after an hour and 1 min -> 1 h after 30 days, preserving sums exactly', () => {
    const s = fresh();
    const now = 60 * DAY + 1234;
    const next = random(7);
    const expected = new Map<string, [number, number]>();
    const perMinute = new Map<number, number>();
    // 40 days of traffic for three apps, densest in the last two hours.
    for (let i = 0; i < 30_000; i++) {
      const app = APPS[Math.floor(next() * APPS.length)] ?? '/unknown';
      const age = i % 3 === 0 ? Math.floor(next() * 2 * HOUR) : Math.floor(next() * 40 * DAY);
      const ts = now - age;
      const tx = Math.floor(next() * 1_000_000);
      const rx = Math.floor(next() * 5_000_000);
      s.bandwidth.add(app, ts, tx, rx);
      const total = expected.get(app) ?? [0, 0];
      expected.set(app, [total[0] + tx, total[1] + rx]);
      const minute = Math.floor(ts / MINUTE) * MINUTE;
      perMinute.set(minute, (perMinute.get(minute) ?? 0) + tx);
    }
    const everything = (app: string | null): [number, number] =>
      totals(s.bandwidth.series(app, 0, now + DAY, { resolution: DAY }));

    for (const app of APPS) expect(everything(app)).toEqual(expected.get(app));
    const before = everything(null);
    expect(rowsPerResolution()['60000']).toBeUndefined();

    const result = s.bandwidth.downsample(now);
    expect(result.secondBuckets).toBeGreaterThan(0);
    expect(result.minuteBuckets).toBeGreaterThan(0);
    for (const app of APPS) expect(everything(app)).toEqual(expected.get(app));
    expect(everything(null)).toEqual(before);

    // Each resolution now holds only its age band.
    const minuteCutoff = Math.floor((now - HOUR) / MINUTE) * MINUTE;
    const hourCutoff = Math.floor((now - 30 * DAY) / HOUR) * HOUR;
    const db = new DatabaseSync(path);
    const oldest = (resolution: number): number =>
      Number(db.prepare('SELECT min(ts) AS t FROM bandwidth WHERE resolution = ?').get(resolution)?.['t']);
    expect(oldest(1000)).toBeGreaterThanOrEqual(minuteCutoff);
    expect(oldest(60_000)).toBeGreaterThanOrEqual(hourCutoff);
    db.close();

    // Minute sums between the two cutoffs are exact, not just the grand total.
    const minutes = s.bandwidth.series(null, hourCutoff, minuteCutoff, { resolution: MINUTE });
    minutes.ts.forEach((ts, i) => expect(minutes.tx[i]).toBe(perMinute.get(ts)));
    expect(minutes.ts).toHaveLength([...perMinute.keys()].filter((t) => t >= hourCutoff && t < minuteCutoff).length);

    // A second run finds nothing left to fold.
    expect(s.bandwidth.downsample(now)).toEqual({ secondBuckets: 0, minuteBuckets: 0 });
    expect(everything(null)).toEqual(before);
  });

  it('folds late 1 s samples into an existing minute bucket', () => {
    const s = fresh();
    const now = 10 * HOUR;
    s.bandwidth.add('/a', 0, 5, 5);
    s.bandwidth.downsample(now);
    s.bandwidth.add('/a', 30 * SECOND, 7, 7);
    s.bandwidth.downsample(now);
    expect(s.bandwidth.series('/a', 0, MINUTE)).toEqual({ resolutionMs: MINUTE, ts: [0], tx: [12], rx: [12] });
    expect(rowsPerResolution()).toEqual({ '60000': 1 });
  });
});
