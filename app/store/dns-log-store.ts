import type { DatabaseSync } from 'node:sqlite';
import { z } from 'zod';
import type {
  DnsLogCount,
  DnsLogEntry,
  DnsLogFilter,
  DnsLogFilterInput,
  DnsLogPageRequestInput,
  DnsLogRow,
} from '../contract/dns-log.ts';
import {
  DNS_LOG_COUNT_CAP,
  DNS_OUTCOMES,
  dnsLogFilterSchema,
  dnsLogPageRequestSchema,
  dnsOutcomeOf,
} from '../contract/dns-log.ts';
import { dnsLogPageSql, dnsLogWhere, NEWEST_FIRST } from './dns-log-search.ts';
import type { TextPlan } from './history-search.ts';
import type { Row } from './row-values.ts';
import { validRow } from './row-values.ts';
import { statementCache } from './statement-cache.ts';
import type { DnsLogStore } from './store.ts';
import { inTransaction } from './transaction.ts';
import { truncateWal } from './wal-truncate.ts';

const COLUMNS = 'seq, at, pid, app_path, uid, name, qtype, rcode, outcome, addresses, ttl, resolver';

const timestamp = z.number().int().nonnegative();

/** Up to this many answers, a text page first walks the newest of the range (textPage). */
const WALK_PROBE = 20_000;
/** Answers deleted per transaction by prune, so the write lock is held only briefly. */
const PRUNE_CHUNK = 5_000;
/**
 * How stale a list value's `last_at` may be. It is rewritten only when an answer comes this much
 * later: a value logged again within the step reads its row and writes nothing, where rewriting
 * it every batch dirtied a page per answer (each one a 4 KiB WAL write). Retention allows for it.
 */
const LIST_TIME_STEP = 3_600_000;

export interface DnsLogStoreOptions {
  /** Where counting stops (default DNS_LOG_COUNT_CAP); tests lower it. */
  readonly countCap?: number;
  /** Up to how many answers a text page tries a walk first (default WALK_PROBE); tests lower it. */
  readonly walkProbe?: number;
}

/** The DNS log: batched inserts, filtered pages and counts, chunked retention. */
export function createDnsLogStore(db: DatabaseSync, options: DnsLogStoreOptions = {}): DnsLogStore {
  const countCap = options.countCap ?? DNS_LOG_COUNT_CAP;
  const walkProbe = options.walkProbe ?? WALK_PROBE;
  // Positional parameters: the insert is the hot path (a batch every second).
  const insert = db.prepare(`INSERT INTO dns_log (${COLUMNS.replace('seq, ', '')})
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  // The lists a free-text search scans first (dns-log-search.ts), each with its value's latest time.
  const upsertName = db.prepare(`INSERT INTO dns_log_names (name, last_at) VALUES (?, ?)
    ON CONFLICT (name) DO UPDATE SET last_at = excluded.last_at WHERE excluded.last_at > last_at + ${String(LIST_TIME_STEP)}`);
  const upsertApp = db.prepare(`INSERT INTO dns_log_apps (path, last_at) VALUES (?, ?)
    ON CONFLICT (path) DO UPDATE SET last_at = excluded.last_at WHERE excluded.last_at > last_at + ${String(LIST_TIME_STEP)}`);
  const upsertAddress = db.prepare(`INSERT INTO dns_log_addresses (address, name, last_at) VALUES (?, ?, ?)
    ON CONFLICT (address, name) DO UPDATE SET last_at = excluded.last_at WHERE excluded.last_at > last_at + ${String(LIST_TIME_STEP)}`);
  const deleteOlder = db.prepare(`DELETE FROM dns_log WHERE seq IN
    (SELECT seq FROM dns_log WHERE at < ? ORDER BY at, seq LIMIT ?)`);
  const size = db.prepare('SELECT count(*) AS n FROM dns_log');

  const prepared = statementCache(db);

  /** How many answers `filter` selects, counted through its indexes up to `limit`. */
  const countUpTo = (filter: DnsLogFilter, limit: number): number => {
    const where = dnsLogWhere(filter);
    const sql = `SELECT count(*) AS n FROM (SELECT 1 FROM dns_log WHERE ${where.sql} LIMIT ?)`;
    return Number(prepared(sql).get(...where.params, limit)?.['n'] ?? 0);
  };

  const newestInRange = db.prepare(
    'SELECT seq FROM dns_log WHERE at >= ? AND at < ? ORDER BY at DESC, seq DESC LIMIT 1',
  );
  const oldestInRange = db.prepare('SELECT seq FROM dns_log WHERE at >= ? AND at < ? ORDER BY at, seq LIMIT 1');
  const timeOfNth = db.prepare('SELECT at FROM dns_log WHERE at >= ? AND at < ? ORDER BY at DESC LIMIT 1 OFFSET ?');

  /**
   * About how many answers the time range holds, from two index probes: the span of their seq.
   * Answers are logged in time order almost always and only the oldest are deleted, so the span
   * is the count or close to it; it only chooses a plan, never changes a result.
   */
  const rangeSize = (filter: DnsLogFilter): number => {
    const newest = newestInRange.get(filter.since, filter.until)?.['seq'];
    const oldest = oldestInRange.get(filter.since, filter.until)?.['seq'];
    if (typeof newest !== 'number' || typeof oldest !== 'number') return 0;
    return Math.max(0, newest - oldest + 1);
  };

  /** One page read with `plan`: the seq of its answers first (an index often covers that step), then their columns. */
  const readPage = (filter: DnsLogFilter, plan: TextPlan, offset: number, limit: number): DnsLogRow[] => {
    const page = dnsLogPageSql(filter, plan);
    const sql = `SELECT ${COLUMNS} FROM dns_log WHERE seq IN (${page.sql}) ORDER BY ${NEWEST_FIRST}`;
    return prepared(sql)
      .all(...page.params, limit, offset)
      .map(rowToDnsLogRow);
  };

  /**
   * A page of a text search (history-search.ts, TextPlan, for the two ways). A walk tests about
   * (offset + limit) x range / matches answers, the indexes read and sort every match, about
   * four times the cost per answer (0.3 and 1.2 µs over a million answers). So a walk is taken
   * when the matches reach `enough`, half the square root of (offset + limit) x range: for a
   * first page over a million answers, 5 000. How that is found out:
   * - `enough` small (first pages): the newest `enough` answers of the range are walked; when
   *   they hold the page, that is the page (every answer outside is older than those in it);
   *   otherwise the matches are few and read through the indexes. Counting them first would
   *   read them twice: 90 ms instead of 45 for a text few answers match, over a million.
   * - otherwise (deep pages): the matches are counted through the indexes up to `enough`.
   */
  const textPage = (filter: DnsLogFilter, offset: number, limit: number): DnsLogRow[] => {
    const reach = offset + limit;
    const enough = Math.max(reach, Math.ceil(Math.sqrt(reach * rangeSize(filter)) / 2));
    if (enough <= walkProbe) {
      const start = timeOfNth.get(filter.since, filter.until, enough - 1)?.['at'];
      // No such answer: the range holds fewer than `enough`, and walking all of it is the page.
      if (typeof start !== 'number') return readPage(filter, 'walk', offset, limit);
      const rows = readPage({ ...filter, since: start }, 'walk', offset, limit);
      if (rows.length === limit || start === filter.since) return rows;
      return readPage(filter, 'indexed', offset, limit);
    }
    return readPage(filter, countUpTo(filter, enough) >= enough ? 'walk' : 'indexed', offset, limit);
  };

  return {
    insertBatch(entries: readonly DnsLogEntry[]): void {
      if (entries.length === 0) return;
      // Nested in the engine's write when called from it (a savepoint), its own transaction alone.
      inTransaction(db, () => {
        const names = new Map<string, number>();
        const apps = new Map<string, number>();
        const pairs = new Map<string, { address: string; name: string; at: number }>();
        for (const e of entries) {
          insert.run(
            e.at,
            e.pid,
            e.appPath,
            e.uid,
            e.name,
            e.qtype,
            e.rcode,
            dnsOutcomeOf(e.rcode, e.addresses.length),
            joinAddresses(e.addresses),
            e.ttlSeconds,
            e.resolver,
          );
          // Each list value once per batch, with its latest time.
          latest(names, e.name, e.at);
          latest(apps, e.appPath, e.at);
          for (const address of e.addresses) {
            const key = `${address} ${e.name}`;
            const known = pairs.get(key);
            if (known === undefined || known.at < e.at) pairs.set(key, { address, name: e.name, at: e.at });
          }
        }
        for (const [name, at] of names) upsertName.run(name, at);
        for (const [path, at] of apps) upsertApp.run(path, at);
        for (const { address, name, at } of pairs.values()) upsertAddress.run(address, name, at);
      });
    },
    page(request: DnsLogPageRequestInput): DnsLogRow[] {
      const { filter, offset, limit } = dnsLogPageRequestSchema.parse(request);
      return filter.text === undefined ? readPage(filter, 'indexed', offset, limit) : textPage(filter, offset, limit);
    },
    count(filterInput: DnsLogFilterInput): DnsLogCount {
      // Counting stops one past the cap: enough to tell "more than that" without walking on.
      const n = countUpTo(dnsLogFilterSchema.parse(filterInput), countCap + 1);
      return { count: Math.min(n, countCap), capped: n > countCap };
    },
    prune(maxAgeMs: number, now: number, maxRows = Number.POSITIVE_INFINITY): number {
      const cutoff = timestamp.parse(now) - timestamp.parse(maxAgeMs);
      let deleted = 0;
      // Each chunk is its own short transaction: readers and the next insert batch get the lock
      // between chunks, and the WAL stays small.
      while (deleted < maxRows) {
        const chunk = Math.min(PRUNE_CHUNK, maxRows - deleted);
        const changed = Number(deleteOlder.run(cutoff, chunk).changes);
        deleted += changed;
        if (changed < chunk) break;
      }
      // A list value whose last_at is more than a step before the cutoff was last logged before
      // it, so no answer kept holds it (a scan of the short lists, tens of thousands of values).
      // Newer ones stay: a superset is all a search needs.
      if (deleted > 0) {
        inTransaction(db, () => {
          for (const table of ['dns_log_names', 'dns_log_apps', 'dns_log_addresses']) {
            prepared(`DELETE FROM ${table} WHERE last_at < ?`).run(cutoff - LIST_TIME_STEP);
          }
        });
      }
      return deleted;
    },
    clear(): number {
      // The user asked for no DNS history: the freed pages are overwritten with zeros, not left
      // in the file for SQLite to reuse some day (secure_delete, for this delete only: every
      // other delete would pay for it too).
      db.exec('PRAGMA secure_delete = ON');
      try {
        return inTransaction(db, () => {
          const deleted = Number(prepared('DELETE FROM dns_log').run().changes);
          for (const table of ['dns_log_names', 'dns_log_apps', 'dns_log_addresses']) {
            prepared(`DELETE FROM ${table}`).run();
          }
          return deleted;
        });
      } finally {
        db.exec('PRAGMA secure_delete = OFF');
        // The write-ahead log still holds the pages as they were before: copied back into the
        // file (now zeroed) and emptied (wal-truncate.ts: retried while another checkpoint runs).
        truncateWal(db);
      }
    },
    size: (): number => Number(size.get()?.['n'] ?? 0),
  };
}

function latest(values: Map<string, number>, value: string, at: number): void {
  const known = values.get(value);
  if (known === undefined || known < at) values.set(value, at);
}

/**
 * The addresses as one text, joined by single spaces. An address with a space (or none at all)
 * would not split back into the same list: refused, as the driver never sends one.
 */
function joinAddresses(addresses: readonly string[]): string {
  for (const address of addresses) {
    if (address === '' || /\s/.test(address)) throw new Error(`not an address text: ${JSON.stringify(address)}`);
  }
  return addresses.join(' ');
}

/** A stored answer as the log shows it; rows are a trust boundary (row-values.ts). */
const dnsLogRowSchema = z
  .object({
    id: z.number().int().positive(),
    at: timestamp,
    pid: z.number().int().nonnegative(),
    appPath: z.string(),
    uid: z.number().int().nonnegative().nullable(),
    name: z.string().min(1),
    qtype: z.number().int().min(0).max(65535),
    rcode: z.number().int().min(0).max(4095),
    outcome: z.enum(DNS_OUTCOMES),
    addresses: z.array(z.string().min(1)),
    ttlSeconds: z.number().int().nonnegative(),
    resolver: z.string(),
  })
  .strict();

function rowToDnsLogRow(row: Row): DnsLogRow {
  const addresses = row['addresses'];
  return validRow(
    dnsLogRowSchema,
    {
      id: row['seq'],
      at: row['at'],
      pid: row['pid'],
      appPath: row['app_path'],
      uid: row['uid'],
      name: row['name'],
      qtype: row['qtype'],
      rcode: row['rcode'],
      outcome: row['outcome'],
      // '' is no address; anything not text passes through for the schema to reject.
      addresses: typeof addresses === 'string' ? (addresses === '' ? [] : addresses.split(' ')) : addresses,
      ttlSeconds: row['ttl'],
      resolver: row['resolver'],
    },
    `DNS log answer ${String(row['seq'])}`,
  );
}
