import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import type { HistoryFilterInput } from '../contract/history.ts';
import { HISTORY_COUNT_CAP, historyFilterSchema } from '../contract/history.ts';
import type { HistoryEntry } from './history-entry.ts';
import { orderOf, whereOf } from './history-search.ts';
import { migrate } from './migrate.ts';
import { MIGRATIONS } from './migrations.ts';
import { openStore } from './open-store.ts';
import type { Store } from './store.ts';
import { historyRow } from './test-support/fixtures.ts';
import { tempDbPath } from './test-support/temp-db.ts';

let store: Store | undefined;
afterEach(() => {
  store?.close();
  store = undefined;
});
function fresh(rows: readonly HistoryEntry[]): Store {
  store = openStore(tempDbPath());
  store.history.insertBatch(rows);
  return store;
}

const ALL = { since: 0, until: Number.MAX_SAFE_INTEGER };
const newest = { key: 'startedAt', descending: true } as const;
const ids = (rows: readonly { id: string }[]): string[] => rows.map((row) => row.id);

/** Every row but the last (still open) ended 10 ms after it started. */
function ended(rows: readonly HistoryEntry[]): HistoryEntry[] {
  return rows.map((row, i) => (i === rows.length - 1 ? row : { ...row, endedAt: row.startedAt + 10 }));
}

/** A varied history: one field differs per row, so each filter picks known rows. */
const ROWS: readonly HistoryEntry[] = ended([
  historyRow('a', { startedAt: 100, appPath: '/usr/bin/firefox', host: 'www.Example.com', remoteIp: '93.184.216.34' }),
  historyRow('b', {
    startedAt: 200,
    remoteIp: '198.51.100.2',
    appPath: '/usr/bin/curl',
    host: 'example.com',
    remotePort: 80,
  }),
  historyRow('c', {
    startedAt: 300,
    remoteIp: '198.51.100.3',
    appPath: '/usr/bin/curl',
    host: 'notexample.com',
    verdict: 'block',
  }),
  historyRow('d', {
    startedAt: 400,
    appPath: '/usr/sbin/sshd',
    host: null,
    remoteIp: '2001:db8::1',
    direction: 'inbound',
    verdict: 'drop',
  }),
  historyRow('e', {
    startedAt: 500,
    remoteIp: '198.51.100.5',
    appPath: '/usr/bin/dig',
    protocol: 17,
    ruleId: 'rule-1',
    host: 'a_b%c.example.org',
  }),
  historyRow('f', {
    startedAt: 600,
    remoteIp: '198.51.100.6',
    appPath: '',
    host: 'cdn.other.net',
    bytesSent: 900,
    bytesReceived: 100,
    endedAt: null,
  }),
]);

function search(s: Store, filter: HistoryFilterInput, sort = newest as { key: string; descending: boolean }): string[] {
  return ids(s.history.search({ filter, sort: sort as typeof newest, offset: 0, limit: 100 }));
}

describe('history search', () => {
  it('selects by each filter, newest first, and counts the same rows', () => {
    const s = fresh(ROWS);
    const cases: readonly (readonly [HistoryFilterInput, string[]])[] = [
      [ALL, ['f', 'e', 'd', 'c', 'b', 'a']],
      [{ since: 200, until: 500 }, ['d', 'c', 'b']],
      [{ ...ALL, appPath: '/usr/bin/curl' }, ['c', 'b']],
      [{ ...ALL, appPath: '' }, ['f']],
      // The name itself and names under it, not names that merely end the same way.
      [{ ...ALL, host: 'example.com' }, ['b', 'a']],
      [{ ...ALL, host: 'WWW.EXAMPLE.COM.' }, ['a']],
      [{ ...ALL, remoteIp: '2001:0db8:0:0::1' }, ['d']],
      [{ ...ALL, remotePort: 80 }, ['b']],
      [{ ...ALL, verdicts: ['block', 'drop'] }, ['d', 'c']],
      [{ ...ALL, direction: 'inbound' }, ['d']],
      [{ ...ALL, protocol: 17 }, ['e']],
      [{ ...ALL, ruleId: 'rule-1' }, ['e']],
      [{ ...ALL, text: 'FIREFOX' }, ['a']],
      [{ ...ALL, text: 'example' }, ['e', 'c', 'b', 'a']],
      [{ ...ALL, text: '93.184' }, ['a']],
      [{ ...ALL, text: '2001:DB8' }, ['d']],
      [{ ...ALL, appPath: '/usr/bin/curl', verdicts: ['allow'] }, ['b']],
    ];
    for (const [filter, expected] of cases) {
      expect(search(s, filter), JSON.stringify(filter)).toEqual(expected);
      expect(s.history.countMatching(filter)).toEqual({ count: expected.length, capped: false });
    }
  });

  it('takes LIKE wildcards and quotes in the text as themselves', () => {
    const s = fresh(ROWS);
    expect(search(s, { ...ALL, text: 'a_b%c' })).toEqual(['e']);
    expect(search(s, { ...ALL, text: '%' })).toEqual(['e']);
    expect(search(s, { ...ALL, text: '_' })).toEqual(['e']);
    expect(search(s, { ...ALL, text: "'; DROP TABLE history; --" })).toEqual([]);
    expect(s.history.count()).toBe(ROWS.length);
  });

  it('sorts by each key, with ties newest first, and pages through the result', () => {
    const s = fresh(ROWS);
    expect(search(s, ALL, { key: 'startedAt', descending: false })).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(search(s, ALL, { key: 'bytes', descending: true })[0]).toBe('f');
    expect(search(s, ALL, { key: 'remotePort', descending: false })[0]).toBe('b');
    // Unnamed connections come last in both directions.
    expect(search(s, ALL, { key: 'host', descending: false })).toEqual(['e', 'f', 'b', 'c', 'a', 'd']);
    expect(search(s, ALL, { key: 'host', descending: true })).toEqual(['a', 'c', 'b', 'f', 'e', 'd']);
    // An open connection counts as the longest.
    expect(search(s, ALL, { key: 'duration', descending: true })[0]).toBe('f');
    const page = (offset: number): string[] => ids(s.history.search({ filter: ALL, sort: newest, offset, limit: 4 }));
    expect([...page(0), ...page(4)]).toEqual(['f', 'e', 'd', 'c', 'b', 'a']);
  });

  it('stops counting at the cap and says so', () => {
    const many = Array.from({ length: HISTORY_COUNT_CAP + 5 }, (_, i) => historyRow(`r${i}`, { startedAt: i }));
    const s = fresh(many);
    expect(s.history.countMatching(ALL)).toEqual({ count: HISTORY_COUNT_CAP, capped: true });
    expect(s.history.countMatching({ since: 0, until: 10 })).toEqual({ count: 10, capped: false });
  });

  it('refuses invalid requests before any SQL runs', () => {
    const s = fresh(ROWS);
    const bad: readonly unknown[] = [
      { ...ALL, since: 10, until: 5 },
      { ...ALL, remoteIp: 'not-an-address' },
      { ...ALL, host: 'a b' },
      { ...ALL, text: 'x'.repeat(201) },
      { ...ALL, verdicts: [] },
      { ...ALL, extra: 1 },
    ];
    for (const filter of bad) {
      expect(() => s.history.countMatching(filter as HistoryFilterInput), JSON.stringify(filter)).toThrow();
    }
    expect(() => s.history.search({ filter: ALL, sort: newest, offset: 0, limit: 1001 })).toThrow();
    expect(() =>
      s.history.search({ filter: ALL, sort: { key: 'seq' as 'bytes', descending: true }, offset: 0, limit: 1 }),
    ).toThrow();
  });

  it('reads each filter through its own index, not by scanning the history', () => {
    const db = new DatabaseSync(':memory:');
    try {
      migrate(db, MIGRATIONS);
      const cases: readonly (readonly [HistoryFilterInput, string])[] = [
        [{ ...ALL, appPath: '/x' }, 'history_app_started'],
        [{ ...ALL, host: 'example.com' }, 'history_host_started'],
        [{ ...ALL, remoteIp: '10.0.0.1' }, 'history_remote_started'],
        [{ ...ALL, remotePort: 22 }, 'history_port_started'],
        [{ ...ALL, verdicts: ['block'] }, 'history_verdict_started'],
        // Protocol has no index of its own (see migration 4): the time index (history_walk, which
        // holds the protocol, where only seq is read: history-text-plan.test.ts).
        [{ ...ALL, direction: 'inbound' }, 'history_direction_started'],
        [{ ...ALL, protocol: 17 }, 'history_started'],
        [{ ...ALL, ruleId: 'r' }, 'history_rule_started'],
        [{ ...ALL, text: 'fire' }, 'history_host_started'],
      ];
      for (const [filter, index] of cases) {
        const where = whereOf(historyFilterSchema.parse(filter));
        const plan = db
          .prepare(`EXPLAIN QUERY PLAN SELECT * FROM history WHERE ${where.sql} ORDER BY ${orderOf(newest)}`)
          .all(...where.params)
          .map((row) => String(row['detail']));
        const described = `${JSON.stringify(filter)}: ${plan.join('; ')}`;
        expect(
          plan.filter((step) => /^SCAN history\b/.test(step)),
          described,
        ).toEqual([]);
        expect(
          plan.some((step) => step.includes(`INDEX ${index} `)),
          described,
        ).toBe(true);
      }
    } finally {
      db.close();
    }
  });

  it('walks by time for text many connections match, with the same result as through the indexes', () => {
    const rows = Array.from({ length: 2_500 }, (_, i) =>
      historyRow(`w${String(i)}`, { startedAt: i, appPath: i % 5 === 0 ? '/usr/bin/firefox' : '/usr/bin/curl' }),
    );
    const s = fresh(rows);
    const firefox = search(s, { ...ALL, text: 'firefox' });
    expect(firefox).toHaveLength(100);
    expect(firefox.slice(0, 3)).toEqual(['w2495', 'w2490', 'w2485']);
    const walk = whereOf(historyFilterSchema.parse({ ...ALL, text: 'curl' }), 'walk');
    const db = new DatabaseSync(':memory:');
    try {
      migrate(db, MIGRATIONS);
      const plan = db
        .prepare(`EXPLAIN QUERY PLAN SELECT * FROM history WHERE ${walk.sql} ORDER BY ${orderOf(newest)}`)
        .all(...walk.params)
        .map((row) => String(row['detail']));
      expect(
        plan.some((step) => step.includes('INDEX history_started ')),
        plan.join('; '),
      ).toBe(true);
      expect(
        plan.some((step) => step.includes('history_app_started')),
        plan.join('; '),
      ).toBe(false);
    } finally {
      db.close();
    }
    // 2 000 of 2 500 match: the walk; the same rows as the indexes give.
    const curl = s.history.search({ filter: { ...ALL, text: 'curl' }, sort: newest, offset: 0, limit: 1_000 });
    const byIndex = s.history.search({
      filter: { ...ALL, text: 'curl' },
      sort: { key: 'startedAt', descending: false },
      offset: 0,
      limit: 1_000,
    });
    expect(curl).toHaveLength(1_000);
    expect(curl.every((row) => row.appPath === '/usr/bin/curl')).toBe(true);
    expect(byIndex[0]?.id).toBe('w1');
  });

  it('reads a sort many connections match in its index order, with the same pages as sorting them', () => {
    const rows = Array.from({ length: 30_000 }, (_, i) =>
      historyRow(`s${String(i)}`, {
        startedAt: i,
        host: i % 7 === 0 ? null : `h${String(i % 500)}.example`,
        bytesSent: (i * 31) % 1_000,
        bytesReceived: i % 3,
        endedAt: i % 11 === 0 ? null : i + (i % 37),
      }),
    );
    const s = fresh(rows);
    const db = new DatabaseSync(':memory:');
    try {
      migrate(db, MIGRATIONS);
      for (const [sort, index] of [
        [{ key: 'host', descending: false }, 'history_host_sort'],
        [{ key: 'host', descending: true }, 'history_host_started'],
        [{ key: 'bytes', descending: true }, 'history_bytes_sort'],
        [{ key: 'bytes', descending: false }, 'history_bytes_sort'],
        [{ key: 'duration', descending: true }, 'history_duration_sort'],
      ] as const) {
        const walk = whereOf(historyFilterSchema.parse(ALL), 'indexed', 'walk');
        const plan = db
          .prepare(`EXPLAIN QUERY PLAN SELECT seq FROM history WHERE ${walk.sql} ORDER BY ${orderOf(sort)} LIMIT 100`)
          .all(...walk.params)
          .map((row) => String(row['detail']));
        expect(plan.join('; ')).toMatch(new RegExp(`INDEX ${index}\\b`));
        expect(plan.join('; ')).not.toMatch(/TEMP B-TREE FOR ORDER BY/);
        // 30 000 match: walked; a narrow window (5 000) is sorted. Both must agree with a sort in
        // JavaScript, names A→Z with the nameless last, ties newest first.
        for (const filter of [ALL, { since: 10_000, until: 15_000 }]) {
          const inWindow = rows.filter((r) => r.startedAt >= filter.since && r.startedAt < filter.until);
          const key = (r: HistoryEntry): string | number =>
            sort.key === 'bytes'
              ? r.bytesSent + r.bytesReceived
              : sort.key === 'duration'
                ? (r.endedAt ?? Number.MAX_SAFE_INTEGER) - r.startedAt
                : (r.host ?? (sort.descending ? '' : '~'));
          const expected = [...inWindow]
            .sort((a, b) => {
              const [ka, kb] = [key(a), key(b)];
              if (ka !== kb) return (ka < kb ? -1 : 1) * (sort.descending ? -1 : 1);
              return b.startedAt - a.startedAt;
            })
            .map((r) => r.id);
          for (const offset of [0, 2_000]) {
            const page = s.history.search({ filter, sort, offset, limit: 50 });
            expect(ids(page), `${JSON.stringify(sort)} ${JSON.stringify(filter)} @${String(offset)}`).toEqual(
              expected.slice(offset, offset + 50),
            );
          }
        }
      }
    } finally {
      db.close();
    }
  });

  it('brings a history written before this version up to date: names in lower case, searchable', () => {
    // A database at version 3 with rows in it, as an earlier release left it.
    const file = tempDbPath();
    const old = new DatabaseSync(file);
    migrate(old, MIGRATIONS.slice(0, 3));
    old.exec(`INSERT INTO history (id, started_at, pid, app_path, direction, protocol, local_ip, local_port,
      remote_ip, remote_port, host_name, verdict) VALUES
      ('old1', 10, 1, '/usr/bin/Old', 'outbound', 6, '10.0.0.1', 1000, '10.0.0.2', 443, 'CDN.Example.COM', 'allow')`);
    old.close();
    store = openStore(file);
    expect(search(store, { ...ALL, host: 'example.com' })).toEqual(['old1']);
    expect(search(store, { ...ALL, text: 'usr/bin/old' })).toEqual(['old1']);
    expect(store.history.search({ filter: ALL, sort: newest, offset: 0, limit: 1 })[0]?.host).toBe('cdn.example.com');
  });
});
