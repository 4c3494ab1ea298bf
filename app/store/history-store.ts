import type { DatabaseSync, SQLOutputValue } from 'node:sqlite';
import type {
  HistoryCount,
  HistoryFilter,
  HistoryFilterInput,
  HistoryPageRequestInput,
  HistorySort,
  HistorySortKey,
} from '../contract/history.ts';
import { HISTORY_COUNT_CAP, historyFilterSchema, historyPageRequestSchema } from '../contract/history.ts';
import { canonicalIp } from '../contract/ip-address.ts';
import type { HistoryEntry, HistoryQuery, HistoryUpdate, PruneOptions, PruneResult } from './history-entry.ts';
import { historyEntrySchema, historyQuerySchema, pruneOptionsSchema } from './history-entry.ts';
import {
  orderOf,
  type SortPlan,
  type SqlClause,
  TEXT_FIELDS,
  type TextField,
  type TextPlan,
  textProbes,
  textWalkWindow,
  whereOf,
} from './history-search.ts';
import type { Row } from './row-values.ts';
import { validRow } from './row-values.ts';
import { statementCache } from './statement-cache.ts';
import type { HistoryCursor, HistoryExportPage, HistoryStore } from './store.ts';
import { inTransaction } from './transaction.ts';

const COLUMNS = `id, started_at, ended_at, pid, app_path, uid, direction, protocol, local_ip, local_port,
  remote_ip, remote_port, host_name, verdict, rule_id, bytes_sent, bytes_received`;

/** From this many matches on, a page sorted by another key walks that key's index (see sortPlan). */
const WIDE_SORT = 20_000;

/** Connection history: batched inserts and updates, paged queries, chunked retention. */
export function createHistoryStore(db: DatabaseSync): HistoryStore {
  // Positional parameters: the insert is the hot path (a batch every second).
  const insert = db.prepare(
    `INSERT INTO history (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertHost = db.prepare('INSERT OR IGNORE INTO history_hosts (name) VALUES (?)');
  const insertApp = db.prepare('INSERT OR IGNORE INTO history_apps (path) VALUES (?)');
  const update = db.prepare(`UPDATE history SET
    ended_at = CASE WHEN :set_ended THEN :ended_at ELSE ended_at END,
    bytes_sent = coalesce(:bytes_sent, bytes_sent),
    bytes_received = coalesce(:bytes_received, bytes_received)
    WHERE id = :id`);
  // Both orderings match an index: (started_at) and (app_path, started_at).
  const queryAll = db.prepare(`SELECT ${COLUMNS} FROM history WHERE started_at >= ? AND started_at < ?
    ORDER BY started_at DESC, seq DESC LIMIT ? OFFSET ?`);
  const queryApp = db.prepare(`SELECT ${COLUMNS} FROM history WHERE app_path = ? AND started_at >= ?
    AND started_at < ? ORDER BY started_at DESC, seq DESC LIMIT ? OFFSET ?`);
  const countAll = db.prepare('SELECT count(*) AS n FROM history');
  const deleteOlder = db.prepare(`DELETE FROM history WHERE seq IN
    (SELECT seq FROM history WHERE started_at < ? ORDER BY started_at, seq LIMIT ?)`);
  const deleteOldest = db.prepare(`DELETE FROM history WHERE seq IN
    (SELECT seq FROM history ORDER BY started_at, seq LIMIT ?)`);

  const count = (): number => Number(countAll.get()?.['n'] ?? 0);

  // Searches build their SQL from the fields a filter uses: few shapes, each prepared once.
  const prepared = statementCache(db);

  /**
   * The fields `filter`'s free text can be in (history-search.ts, textProbes): those a probe
   * finds. The terms of the others could only ever be false, and would be read all the same.
   */
  const textFields = (filter: HistoryFilter): readonly TextField[] => {
    if (filter.text === undefined) return TEXT_FIELDS;
    return textProbes(filter.text)
      .filter((probe) => Number(prepared(probe.sql).get(...probe.params)?.['found'] ?? 0) === 1)
      .map((probe) => probe.field);
  };

  /** How many connections `filter` selects, counted through its indexes up to `limit`. */
  const countUpTo = (
    filter: HistoryFilter,
    fields: readonly TextField[],
    limit: number,
    textPlan: TextPlan = 'indexed',
  ): number => {
    const where = whereOf(filter, textPlan, 'sorted', fields);
    const sql = `SELECT count(*) AS n FROM (SELECT 1 FROM history WHERE ${where.sql} LIMIT ?)`;
    return Number(prepared(sql).get(...where.params, limit)?.['n'] ?? 0);
  };

  const newestInRange = db.prepare(
    'SELECT seq FROM history WHERE started_at >= ? AND started_at < ? ORDER BY started_at DESC, seq DESC LIMIT 1',
  );
  const oldestInRange = db.prepare(
    'SELECT seq FROM history WHERE started_at >= ? AND started_at < ? ORDER BY started_at, seq LIMIT 1',
  );
  const startOfSeqFrom = db.prepare('SELECT started_at FROM history WHERE seq >= ? ORDER BY seq LIMIT 1');
  const startOfSeqUpTo = db.prepare('SELECT started_at FROM history WHERE seq <= ? ORDER BY seq DESC LIMIT 1');

  /**
   * The seq of the newest and the oldest connection of the time range. Connections are written
   * in about the order they started (once decided, a batch a second) and retention deletes the
   * oldest, so the span of seq is about the number of connections between two times, and a seq
   * that far from either end marks about where that many connections end (textPage). Only a
   * plan is chosen from these, never a result.
   */
  const seqSpan = (filter: HistoryFilter): { newest: number; oldest: number } | undefined => {
    const newest = newestInRange.get(filter.since, filter.until)?.['seq'];
    const oldest = oldestInRange.get(filter.since, filter.until)?.['seq'];
    if (typeof newest !== 'number' || typeof oldest !== 'number' || newest < oldest) return undefined;
    return { newest, oldest };
  };

  /** One page: the seq of its rows first (an index often covers that step), then their columns. */
  const readPage = (where: SqlClause, sort: HistorySort, offset: number, limit: number): HistoryEntry[] => {
    // A deep page so no longer reads every column of every row it skips.
    const order = orderOf(sort);
    const sql = `SELECT ${COLUMNS} FROM history WHERE seq IN
      (SELECT seq FROM history WHERE ${where.sql} ORDER BY ${order} LIMIT ? OFFSET ?) ORDER BY ${order}`;
    return prepared(sql)
      .all(...where.params, limit, offset)
      .map(rowToEntry);
  };

  /**
   * The first `size` connections of the range in the page's order (the newest, or the oldest when
   * oldest first), as a narrower time range: about that many (seqSpan), and never wider.
   */
  const windowOf = (
    filter: HistoryFilter,
    span: { newest: number; oldest: number },
    size: number,
    descending: boolean,
  ): HistoryFilter => {
    if (descending) {
      const edge = startOfSeqFrom.get(span.newest - size + 1)?.['started_at'];
      if (typeof edge !== 'number' || edge <= filter.since) return filter;
      return { ...filter, since: Math.min(edge, filter.until) };
    }
    const edge = startOfSeqUpTo.get(span.oldest + size - 1)?.['started_at'];
    if (typeof edge !== 'number' || edge >= filter.until) return filter;
    return { ...filter, until: Math.max(edge + 1, filter.since) };
  };

  /**
   * A page of a text filter in time order (history-search.ts, TextPlan): walked when the
   * textWalkWindow connections at its start hold it, as counted up to the page's depth (TextPlan
   * `window`, 0.07-0.26 µs a match through the indexes); read through the indexes otherwise.
   * Before, every text 2 000 connections matched was walked, whatever the page and wherever its
   * matches were: a page 23 000 deep into a text matching 47 000 of a million read half the
   * history (220-320 ms), and a first page of a text only older connections held read every
   * newer one (300 ms).
   */
  const textPage = (
    filter: HistoryFilter,
    fields: readonly TextField[],
    sort: HistorySort,
    offset: number,
    limit: number,
  ): HistoryEntry[] => {
    const page = (plan: TextPlan): HistoryEntry[] =>
      readPage(whereOf(filter, plan, 'sorted', fields), sort, offset, limit);
    const span = seqSpan(filter);
    if (span === undefined) return page('indexed');
    const reach = offset + limit;
    const window = windowOf(filter, span, textWalkWindow(reach, span.newest - span.oldest + 1), sort.descending);
    return page(countUpTo(window, fields, reach, 'window') >= reach ? 'walk' : 'indexed');
  };

  /**
   * The plan for a sort other than by time (history-search.ts, SortPlan): counted through the
   * filter's indexes up to WIDE_SORT; so many are read in the sort key's order, fewer are sorted.
   */
  const sortPlan = (filter: HistoryFilter, fields: readonly TextField[], key: HistorySortKey): SortPlan => {
    if (key === 'startedAt') return 'sorted';
    return countUpTo(filter, fields, WIDE_SORT) >= WIDE_SORT ? 'walk' : 'sorted';
  };

  return {
    insertBatch(rows: readonly HistoryEntry[]): void {
      if (rows.length === 0) return;
      inTransaction(db, () => {
        // The lists the searches scan first (history-search.ts): each value once per batch.
        for (const host of new Set(rows.map((r) => r.host?.toLowerCase() ?? null))) {
          if (host !== null) insertHost.run(host);
        }
        for (const app of new Set(rows.map((r) => r.appPath))) insertApp.run(app);
        for (const r of rows) {
          // Names are kept in lower case, as DNS compares them, so that a host filter is one
          // comparison (history-search.ts).
          insert.run(
            r.id,
            r.startedAt,
            r.endedAt,
            r.pid,
            r.appPath,
            r.uid,
            r.direction,
            r.protocol,
            r.localIp,
            r.localPort,
            r.remoteIp,
            r.remotePort,
            r.host?.toLowerCase() ?? null,
            r.verdict,
            r.ruleId,
            r.bytesSent,
            r.bytesReceived,
          );
        }
      });
    },
    updateBatch(updates: readonly HistoryUpdate[]): void {
      if (updates.length === 0) return;
      inTransaction(db, () => {
        for (const u of updates) {
          update.run({
            id: u.id,
            set_ended: u.endedAt === undefined ? 0 : 1,
            ended_at: u.endedAt ?? null,
            bytes_sent: u.bytesSent ?? null,
            bytes_received: u.bytesReceived ?? null,
          });
        }
      });
    },
    query(options: HistoryQuery): HistoryEntry[] {
      const q = historyQuerySchema.parse(options);
      const rows =
        q.appPath === undefined
          ? queryAll.all(q.since, q.until, q.limit, q.offset)
          : queryApp.all(q.appPath, q.since, q.until, q.limit, q.offset);
      return rows.map(rowToEntry);
    },
    search(request: HistoryPageRequestInput): HistoryEntry[] {
      const { filter, sort, offset, limit } = historyPageRequestSchema.parse(request);
      const fields = textFields(filter);
      if (sort.key !== 'startedAt') {
        return readPage(whereOf(filter, 'indexed', sortPlan(filter, fields, sort.key), fields), sort, offset, limit);
      }
      if (filter.text !== undefined) return textPage(filter, fields, sort, offset, limit);
      return readPage(whereOf(filter), sort, offset, limit);
    },
    exportPage(filterInput: HistoryFilterInput, after: HistoryCursor | null, limit: number): HistoryExportPage {
      const filter = historyFilterSchema.parse(filterInput);
      const where = whereOf(filter, 'indexed', 'sorted', textFields(filter));
      const pageSize = Math.max(1, Math.min(10_000, Math.floor(limit)));
      // Oldest first, from just after the last row of the previous page: each page is one
      // index range, however deep the export is (an OFFSET would walk all rows before it).
      const sql = `SELECT seq, ${COLUMNS} FROM history WHERE ${where.sql}
        AND (started_at > ? OR (started_at = ? AND seq > ?)) ORDER BY started_at, seq LIMIT ?`;
      const start = after ?? { startedAt: -1, seq: -1 };
      const rows = prepared(sql).all(...where.params, start.startedAt, start.startedAt, start.seq, pageSize);
      const last = rows.at(-1);
      return {
        entries: rows.map(rowToEntry),
        next:
          last === undefined || rows.length < pageSize
            ? null
            : { startedAt: Number(last['started_at']), seq: Number(last['seq']) },
      };
    },
    countMatching(filterInput: HistoryFilterInput): HistoryCount {
      // Counting stops one past the cap: enough to tell "more than that" without walking on.
      const filter = historyFilterSchema.parse(filterInput);
      const n = countUpTo(filter, textFields(filter), HISTORY_COUNT_CAP + 1);
      return { count: Math.min(n, HISTORY_COUNT_CAP), capped: n > HISTORY_COUNT_CAP };
    },
    prune(options: PruneOptions, now: number): PruneResult {
      const { maxAgeMs, maxRows, chunkSize, maxChunks } = pruneOptionsSchema.parse(options);
      let chunksLeft = maxChunks ?? Number.POSITIVE_INFINITY;
      let deleted = 0;
      // Each chunk is its own short autocommit transaction: readers and the next insert batch
      // get the lock between chunks, and the WAL stays small.
      const cutoff = now - maxAgeMs;
      for (;;) {
        if (chunksLeft <= 0) return { deleted, done: false };
        const changed = Number(deleteOlder.run(cutoff, chunkSize).changes);
        deleted += changed;
        if (changed > 0) chunksLeft--; // an empty probe costs nothing worth counting
        if (changed < chunkSize) break;
      }
      let excess = count() - maxRows;
      while (excess > 0) {
        if (chunksLeft-- <= 0) return { deleted, done: false };
        const changed = Number(deleteOldest.run(Math.min(chunkSize, excess)).changes);
        deleted += changed;
        excess -= changed;
        if (changed === 0) break; // cannot happen while count() > maxRows; never spin
      }
      return { deleted, done: true };
    },
    count,
  };
}

function rowToEntry(row: Row): HistoryEntry {
  return validRow(
    historyEntrySchema,
    {
      id: row['id'],
      startedAt: row['started_at'],
      endedAt: row['ended_at'],
      pid: row['pid'],
      appPath: row['app_path'],
      uid: row['uid'],
      direction: row['direction'],
      protocol: row['protocol'],
      localIp: row['local_ip'],
      localPort: row['local_port'],
      remoteIp: canonicalStoredIp(row['remote_ip']),
      remotePort: row['remote_port'],
      host: row['host_name'],
      verdict: row['verdict'],
      ruleId: row['rule_id'],
      bytesSent: row['bytes_sent'],
      bytesReceived: row['bytes_received'],
    },
    `history entry ${String(row['id'])}`,
  );
}

/**
 * The canonical text of a stored address (a Destination's `remoteIp`): rows written by earlier
 * runs may hold the driver's raw text, such as IPv4-mapped `::ffff:192.0.2.1`, which reads back
 * as `192.0.2.1`, as the live connection rows and prompts show it. Anything else passes through
 * for the schema to judge.
 */
function canonicalStoredIp(value: SQLOutputValue | undefined): SQLOutputValue | undefined {
  return typeof value === 'string' ? (canonicalIp(value) ?? value) : value;
}
