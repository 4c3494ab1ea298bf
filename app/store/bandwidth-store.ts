import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { z } from 'zod';
import type { BandwidthSeries, BandwidthStore, DownsampleResult, SeriesOptions } from './store.ts';
import { inTransaction } from './transaction.ts';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Widths for 'auto', finest first; each coarser one is a multiple of the stored widths below it. */
const AUTO_WIDTHS = [SECOND, 10 * SECOND, MINUTE, 10 * MINUTE, HOUR, 6 * HOUR, DAY];

const seriesArgsSchema = z
  .object({
    appPath: z.string().max(4096).nullable(),
    from: z.number().int().nonnegative(),
    to: z.number().int().nonnegative(),
    resolution: z.union([z.literal('auto'), z.number().int().positive().multipleOf(SECOND)]).default('auto'),
    maxPoints: z.number().int().min(1).max(100_000).default(1000),
  })
  .refine((args) => args.from <= args.to, 'a series runs from an earlier to a later time');

/** Adds one resolution's buckets older than a cutoff into the next coarser resolution. */
const FOLD_SQL = `INSERT INTO bandwidth (app, resolution, ts, tx, rx)
  SELECT app, :coarse, (ts / :coarse) * :coarse AS bucket, sum(tx), sum(rx) FROM bandwidth
  WHERE resolution = :fine AND ts < :cutoff GROUP BY app, bucket
  ON CONFLICT (app, resolution, ts) DO UPDATE SET tx = tx + excluded.tx, rx = rx + excluded.rx`;

/** Per-app bandwidth in 1 s buckets, folded to 1 min and 1 h as it ages. */
export function createBandwidthStore(db: DatabaseSync): BandwidthStore {
  // app -> second bucket start -> [tx, rx]; written by flush().
  const pending = new Map<string, Map<number, [number, number]>>();
  const upsert = db.prepare(`INSERT INTO bandwidth (app, resolution, ts, tx, rx) VALUES (?, 1000, ?, ?, ?)
    ON CONFLICT (app, resolution, ts) DO UPDATE SET tx = tx + excluded.tx, rx = rx + excluded.rx`);
  const fold = db.prepare(FOLD_SQL);
  const dropFolded = db.prepare('DELETE FROM bandwidth WHERE resolution = ? AND ts < ?');
  // IN on the middle key column lets SQLite seek one range per resolution in the primary key.
  const seriesApp = db.prepare(`SELECT (ts / :w) * :w AS bucket, sum(tx) AS tx, sum(rx) AS rx FROM bandwidth
    WHERE app = :app AND resolution IN (1000, 60000, 3600000) AND ts >= :from AND ts < :to
    GROUP BY bucket ORDER BY bucket`);
  const seriesAll = db.prepare(`SELECT (ts / :w) * :w AS bucket, sum(tx) AS tx, sum(rx) AS rx FROM bandwidth
    WHERE resolution IN (1000, 60000, 3600000) AND ts >= :from AND ts < :to
    GROUP BY bucket ORDER BY bucket`);
  const hasApp = db.prepare(`SELECT 1 AS x FROM bandwidth
    WHERE app = :app AND resolution = :resolution AND ts >= :from AND ts < :to LIMIT 1`);
  const hasAny = db.prepare(`SELECT 1 AS x FROM bandwidth
    WHERE resolution = :resolution AND ts >= :from AND ts < :to LIMIT 1`);

  const flush = (): void => {
    if (pending.size === 0) return;
    inTransaction(db, () => {
      for (const [app, buckets] of pending) {
        for (const [ts, [tx, rx]] of buckets) upsert.run(app, ts, tx, rx);
      }
    });
    // Cleared only after the commit: a failed flush keeps the bytes for the next attempt.
    pending.clear();
  };

  /** The coarsest stored width with rows in the range: finer buckets cannot be shown there. */
  const coarsestIn = (app: string | null, from: number, to: number): number => {
    for (const resolution of [HOUR, MINUTE]) {
      const range = { resolution, from, to };
      const row = app === null ? hasAny.get(range) : hasApp.get({ ...range, app });
      if (row !== undefined) return resolution;
    }
    return SECOND;
  };

  return {
    add(appPath: string, tsMs: number, tx: number, rx: number): void {
      // The hot path (every flow, every report): plain checks rather than a schema.
      if (!isCount(tx) || !isCount(rx)) throw new RangeError(`bad byte counts ${tx}/${rx} for ${appPath}`);
      const ts = Math.floor(tsMs / SECOND) * SECOND;
      if (!isCount(ts)) throw new RangeError(`bad bandwidth timestamp ${tsMs}`);
      let buckets = pending.get(appPath);
      if (buckets === undefined) pending.set(appPath, (buckets = new Map()));
      const bucket = buckets.get(ts);
      if (bucket === undefined) buckets.set(ts, [tx, rx]);
      else {
        bucket[0] += tx;
        bucket[1] += rx;
      }
    },
    flush,
    series(appPath: string | null, from: number, to: number, options: SeriesOptions = {}): BandwidthSeries {
      const args = seriesArgsSchema.parse({ appPath, from, to, ...options });
      try {
        flush();
      } catch {
        // A store that refuses writes (a full disk) still answers reads: the chart shows what
        // is stored, and the buffered seconds stay for the next flush (the runtime reports
        // the storage state; a chart must not fail because of it).
      }
      const coarsest = coarsestIn(args.appPath, args.from, args.to);
      const width =
        args.resolution === 'auto' ? autoWidth(args.to - args.from, args.maxPoints, coarsest) : args.resolution;
      // node:sqlite binds JS numbers as REAL; the bucket arithmetic needs integer division.
      const range = { w: BigInt(width), from: args.from, to: args.to };
      const rows = args.appPath === null ? seriesAll.all(range) : seriesApp.all({ ...range, app: args.appPath });
      const series: BandwidthSeries = { resolutionMs: width, ts: [], tx: [], rx: [] };
      for (const row of rows) {
        series.ts.push(Number(row['bucket']));
        series.tx.push(Number(row['tx']));
        series.rx.push(Number(row['rx']));
      }
      return series;
    },
    downsample(now: number): DownsampleResult {
      flush();
      // Cutoffs on bucket boundaries so one minute (hour) is never split across resolutions.
      const minuteCutoff = Math.floor((now - HOUR) / MINUTE) * MINUTE;
      const hourCutoff = Math.floor((now - 30 * DAY) / HOUR) * HOUR;
      // One transaction: a reader never sees bytes both in the fine and the coarse bucket.
      return inTransaction(db, () => ({
        secondBuckets: foldInto(fold, dropFolded, SECOND, MINUTE, minuteCutoff),
        minuteBuckets: foldInto(fold, dropFolded, MINUTE, HOUR, hourCutoff),
      }));
    },
  };
}

function isCount(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}

function foldInto(fold: StatementSync, drop: StatementSync, fine: number, coarse: number, cutoff: number): number {
  fold.run({ fine: BigInt(fine), coarse: BigInt(coarse), cutoff });
  return Number(drop.run(BigInt(fine), cutoff).changes);
}

/** The finest width from AUTO_WIDTHS that is at least `coarsest` and fits `span` in `maxPoints`. */
function autoWidth(span: number, maxPoints: number, coarsest: number): number {
  for (const width of AUTO_WIDTHS) {
    if (width >= coarsest && Math.ceil(span / width) <= maxPoints) return width;
  }
  return Math.ceil(span / maxPoints / DAY) * DAY;
}
