import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import type { HistoryFilterInput } from '../contract/history.ts';
import { historyFilterSchema } from '../contract/history.ts';
import type { HistoryEntry } from './history-entry.ts';
import { orderOf, TEXT_FIELDS, type TextField, textProbes, textWalkWindow, whereOf } from './history-search.ts';
import { createHistoryStore } from './history-store.ts';
import { migrate } from './migrate.ts';
import { MIGRATIONS } from './migrations.ts';
import { historyRow } from './test-support/fixtures.ts';

const ALL = { since: 0, until: Number.MAX_SAFE_INTEGER };
const NEWEST = { key: 'startedAt', descending: true } as const;

const open: DatabaseSync[] = [];
afterEach(() => {
  for (const db of open.splice(0)) db.close();
});
function database(): DatabaseSync {
  const db = new DatabaseSync(':memory:');
  open.push(db);
  migrate(db, MIGRATIONS);
  return db;
}

interface Ran {
  readonly sql: string;
  readonly params: readonly SQLInputValue[];
}

/**
 * `db` as the store sees it, noting the SQL and parameters of every query it runs: the page
 * query names the plan the store took, and EXPLAIN QUERY PLAN of it how SQLite reads it.
 */
function recording(db: DatabaseSync): { db: DatabaseSync; ran: Ran[] } {
  const ran: Ran[] = [];
  const noting = (statement: StatementSync, sql: string): StatementSync =>
    new Proxy(statement, {
      get(target, key) {
        const value: unknown = Reflect.get(target, key, target);
        if (typeof value !== 'function') return value;
        return (...params: SQLInputValue[]): unknown => {
          if (key === 'all' || key === 'get') ran.push({ sql, params });
          return Reflect.apply(value, target, params);
        };
      },
    });
  const spied = new Proxy(db, {
    get(target, key) {
      if (key === 'prepare') return (sql: string): StatementSync => noting(target.prepare(sql), sql);
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { db: spied, ran };
}

function planOf(db: DatabaseSync, sql: string, params: readonly SQLInputValue[]): string {
  return db
    .prepare(`EXPLAIN QUERY PLAN ${sql}`)
    .all(...params)
    .map((row) => String(row['detail']))
    .join('; ');
}

/** The plain query: every field of the text, through the indexes, no plan chosen. */
function plainPage(db: DatabaseSync, input: HistoryFilterInput, offset: number, limit: number): string[] {
  const where = whereOf(historyFilterSchema.parse(input));
  return db
    .prepare(`SELECT id FROM history WHERE ${where.sql} ORDER BY ${orderOf(NEWEST)} LIMIT ? OFFSET ?`)
    .all(...where.params, limit, offset)
    .map((row) => String(row['id']));
}

/**
 * 3 000 connections 10 ms apart (every seventh at the time of the one before it: ties are read
 * in insertion order). "firefox" is in every fifth app path only, "mozilla" in every third host
 * name only, "10" in app paths, host names and addresses alike; "oldtool" in the app paths of 160
 * of the oldest 200 connections only, "newtool" in those of the newest 200.
 */
const ROWS: readonly HistoryEntry[] = Array.from({ length: 3_000 }, (_, i) =>
  historyRow(`r${String(i)}`, {
    startedAt: (i - (i % 7 === 6 ? 1 : 0)) * 10,
    appPath:
      i % 5 === 0
        ? '/usr/bin/firefox'
        : i < 200
          ? '/opt/oldtool'
          : i >= 2_800
            ? '/opt/newtool'
            : i % 11 === 0
              ? '/opt/app10/bin/app'
              : '/usr/bin/curl',
    host: i % 3 === 0 ? `cdn${String(i % 4)}.mozilla.net` : i % 13 === 0 ? 'h10.example' : 'example.com',
    remoteIp: i % 17 === 0 ? `10.0.${String(i % 250)}.1` : `198.51.100.${String(i % 250)}`,
    protocol: i % 4 === 0 ? 17 : 6,
  }),
);

describe('history text plans', () => {
  it('walks a page found within a window that grows as the square root of its depth and of the range', () => {
    expect(textWalkWindow(100, 1_000_000)).toBe(15_812);
    expect(textWalkWindow(50_100, 1_000_000)).toBe(353_907);
    // A time range of 24 hours of that million: 33 333 connections.
    expect(textWalkWindow(100, 33_333)).toBe(2_887);
    // Larger than a small range: the whole range is the window.
    expect(textWalkWindow(500, 100)).toBe(354);
    expect(textWalkWindow(100, 0)).toBe(0);
  });

  it('probes only the fields a text can be in, and finds those some connection holds', () => {
    const db = database();
    createHistoryStore(db).insertBatch(ROWS);
    const found = (text: string): TextField[] =>
      textProbes(text)
        .filter((probe) => db.prepare(probe.sql).get(...probe.params)?.['found'] === 1)
        .map((probe) => probe.field);
    expect(textProbes('firefox').map((probe) => probe.field)).toEqual(['app', 'host']);
    expect(found('FIREFOX')).toEqual(['app']);
    expect(found('mozilla')).toEqual(['host']);
    expect(found('10')).toEqual(['app', 'host', 'address']);
    expect(found('198.51')).toEqual(['address']);
    expect(found('51.100')).toEqual([]);
    expect(found('%')).toEqual([]);
  });

  it('pages a text as the plain query does, whichever plan each page takes', () => {
    const { db, ran } = recording(database());
    const history = createHistoryStore(db);
    history.insertBatch(ROWS);
    const texts = ['firefox', 'mozilla', '10', 'MOZILLA.NET', '198.51.100.2', 'oldtool', 'newtool', 'nowhere'];
    const windows = [ALL, { since: 5_000, until: 20_000 }];
    const plans = new Set<string>();
    for (const text of texts) {
      for (const window of windows) {
        const filter = { ...window, text };
        for (const [offset, limit] of [
          [0, 100],
          [250, 50],
          [400, 100],
          [990, 100],
        ] as const) {
          const page = history.search({ filter, sort: NEWEST, offset, limit }).map((row) => row.id);
          // The walk keeps the text's columns off their indexes with a unary plus.
          plans.add(/\+(app_path|host_name|remote_ip)\b/.test(ran.at(-1)?.sql ?? '') ? 'walk' : 'indexed');
          const described = `${text} ${JSON.stringify(window)} @${String(offset)}`;
          expect(page, described).toEqual(plainPage(db, filter, offset, limit));
        }
        expect(history.countMatching(filter).count).toBe(plainPage(db, filter, 0, 3_000).length);
      }
    }
    expect([...plans].sort()).toEqual(['indexed', 'walk']);
  });

  it('walks a first page of a wide text and reads a deep one through the indexes (firefox: 600 of 3 000)', () => {
    const { db, ran } = recording(database());
    const history = createHistoryStore(db);
    history.insertBatch(ROWS);
    const pagePlan = (offset: number): string => {
      history.search({ filter: { ...ALL, text: 'firefox' }, sort: NEWEST, offset, limit: 100 });
      const page = ran.at(-1);
      if (page === undefined) throw new Error('no query ran');
      return planOf(db, page.sql, page.params);
    };
    // The newest 867 connections (textWalkWindow(100, 3 000)) hold 173 of the matches: walked...
    expect(pagePlan(0)).toMatch(/COVERING INDEX history_walk\b/);
    expect(pagePlan(0)).not.toMatch(/history_app_started|history_host_started/);
    // ...and the newest 1 937 hold 387, fewer than a page 400 deep reaches: through the app index
    // alone, not the host index (no name holds the text).
    expect(pagePlan(400)).toMatch(/COVERING INDEX history_app_started\b/);
    expect(pagePlan(400)).not.toMatch(/history_walk|history_host_started|MULTI-INDEX/);
  });

  it('reads a text only old connections hold through the indexes, and walks one the newest hold', () => {
    const { db, ran } = recording(database());
    const history = createHistoryStore(db);
    history.insertBatch(ROWS);
    const planOfPage = (text: string, descending: boolean): string => {
      const page = history.search({
        filter: { ...ALL, text },
        sort: { key: 'startedAt', descending },
        offset: 0,
        limit: 100,
      });
      expect(page).toHaveLength(100);
      const query = ran.at(-1);
      if (query === undefined) throw new Error('no query ran');
      return planOf(db, query.sql, query.params);
    };
    // 160 matches each: too few to walk for were they spread, but where they are decides.
    expect(planOfPage('oldtool', true)).toMatch(/INDEX history_app_started\b/);
    expect(planOfPage('newtool', true)).toMatch(/COVERING INDEX history_walk\b/);
    // Oldest first, the other way round.
    expect(planOfPage('oldtool', false)).toMatch(/COVERING INDEX history_walk\b/);
    expect(planOfPage('newtool', false)).toMatch(/INDEX history_app_started\b/);
  });

  it('walks through history_walk alone: the text, the protocol and the order are in it', () => {
    const db = database();
    for (const input of [
      { ...ALL, text: 'firefox' },
      { ...ALL, text: '10' },
      { ...ALL, text: '10', protocol: 17 },
    ]) {
      const where = whereOf(historyFilterSchema.parse(input), 'walk');
      const plan = planOf(db, `SELECT seq FROM history WHERE ${where.sql} ORDER BY ${orderOf(NEWEST)}`, where.params);
      expect(plan, JSON.stringify(input)).toMatch(/^SEARCH history USING COVERING INDEX history_walk\b/);
      expect(plan, JSON.stringify(input)).not.toMatch(/TEMP B-TREE/);
    }
    // A protocol (no index of its own) is read the same way.
    const udp = whereOf(historyFilterSchema.parse({ ...ALL, protocol: 17 }));
    expect(planOf(db, `SELECT count(*) FROM history WHERE ${udp.sql}`, udp.params)).toMatch(
      /COVERING INDEX history_walk\b/,
    );
  });

  it('counts a window through the app and host indexes, and with an address term through history_walk', () => {
    const db = database();
    const window = { since: 20_000, until: 30_000 };
    const count = (text: string): string => {
      const where = whereOf(historyFilterSchema.parse({ ...window, text }), 'window', 'sorted', TEXT_FIELDS);
      return planOf(db, `SELECT count(*) FROM (SELECT 1 FROM history WHERE ${where.sql} LIMIT 100)`, where.params);
    };
    // Each app and name from the window's start on.
    expect(count('firefox')).toMatch(/INDEX history_app_started \(app_path=\? AND started_at>\? AND started_at<\?\)/);
    expect(count('firefox')).toMatch(/INDEX history_host_started \(host_name=\? AND started_at>\? AND started_at<\?\)/);
    // The address index would read every address of the text, in the window or not.
    expect(count('10')).toMatch(/COVERING INDEX history_walk \(started_at>\? AND started_at<\?\)/);
    expect(count('10')).not.toMatch(/history_remote_started/);
  });

  it('reads a text in all three fields through their three indexes, not by walking the history', () => {
    const db = database();
    const where = whereOf(historyFilterSchema.parse({ ...ALL, text: '10' }), 'indexed', 'sorted', TEXT_FIELDS);
    for (const sql of [
      `SELECT seq FROM history WHERE ${where.sql} ORDER BY ${orderOf(NEWEST)}`,
      `SELECT count(*) FROM (SELECT 1 FROM history WHERE ${where.sql} LIMIT 100001)`,
    ]) {
      const plan = planOf(db, sql, where.params);
      expect(plan).toMatch(/MULTI-INDEX OR/);
      for (const index of ['history_app_started', 'history_host_started', 'history_remote_started']) {
        expect(plan).toMatch(new RegExp(`INDEX ${index}\\b`));
      }
      expect(plan).not.toMatch(/history_walk|INDEX history_started\b|SCAN history\b/);
    }
  });

  it('selects nothing for a text in no field, without reading the history', () => {
    const db = database();
    createHistoryStore(db).insertBatch(ROWS);
    const where = whereOf(historyFilterSchema.parse({ ...ALL, text: 'nowhere' }), 'indexed', 'sorted', []);
    expect(where.sql).toMatch(/ AND 0$/);
    expect(db.prepare(`SELECT count(*) AS n FROM history WHERE ${where.sql}`).get(...where.params)?.['n']).toBe(0);
  });
});
