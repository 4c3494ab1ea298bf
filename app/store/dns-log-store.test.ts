import { readFileSync } from 'node:fs';
import { DatabaseSync, type SQLInputValue } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import type { DnsLogEntry, DnsLogFilterInput, DnsLogRow } from '../contract/dns-log.ts';
import { DNS_OUTCOMES, dnsLogFilterSchema, dnsOutcomeOf } from '../contract/dns-log.ts';
import { dnsLogPageSql, dnsLogWhere } from './dns-log-search.ts';
import { createDnsLogStore } from './dns-log-store.ts';
import type { TextPlan } from './history-search.ts';
import { migrate, schemaVersion } from './migrate.ts';
import { MIGRATIONS } from './migrations.ts';
import { openStore } from './open-store.ts';
import type { DnsLogStore, Store } from './store.ts';
import { dnsAnswer, historyRow } from './test-support/fixtures.ts';
import { tempDbPath } from './test-support/temp-db.ts';

const DAY = 86_400_000;
const ALL = { since: 0, until: Number.MAX_SAFE_INTEGER };

let open: { close(): void }[] = [];
afterEach(() => {
  for (const closable of open) closable.close();
  open = [];
});
function fresh(): Store {
  const store = openStore(tempDbPath());
  open.push(store);
  return store;
}
/** A migrated in-memory database, for what needs the SQL itself (plans, lists, a small cap). */
function memoryDb(): DatabaseSync {
  const db = new DatabaseSync(':memory:');
  migrate(db, MIGRATIONS);
  open.push(db);
  return db;
}

const names = (rows: readonly DnsLogRow[]): string[] => rows.map((row) => row.name);
function pageNames(log: DnsLogStore, filter: DnsLogFilterInput, offset = 0, limit = 100): string[] {
  return names(log.page({ filter, offset, limit }));
}

/** A varied log: one name per answer, so each filter's result reads as names, oldest first here. */
const ROWS: readonly DnsLogEntry[] = [
  dnsAnswer({
    at: 100,
    appPath: '/usr/bin/firefox',
    name: 'www.example.com',
    addresses: ['93.184.216.34', '93.184.216.35'],
  }),
  dnsAnswer({ at: 200, name: 'api.example.org', qtype: 28, addresses: ['2001:db8::1'] }),
  dnsAnswer({ at: 300, name: 'missing.example', rcode: 3, addresses: [], ttlSeconds: 0 }),
  dnsAnswer({ at: 400, appPath: '', pid: 0, uid: null, name: 'broken.test', rcode: 2, addresses: [], ttlSeconds: 0 }),
  dnsAnswer({ at: 500, appPath: '/usr/bin/dig', name: 'a_b%c.example.net', qtype: 65, addresses: [], ttlSeconds: 0 }),
  dnsAnswer({ at: 600, appPath: '/opt/Tools/Fetch', name: 'cdn.other.net', rcode: 5, addresses: [], ttlSeconds: 0 }),
  // A label holding a dot, in the escaped form the daemon sends (a\.b.test).
  dnsAnswer({ at: 700, appPath: '/usr/bin/firefox', name: 'a\\.b.test', addresses: ['198.51.100.7', '2001:db8::7'] }),
];
const NEWEST_FIRST = ['a\\.b.test', 'cdn.other.net', 'a_b%c.example.net', 'broken.test', 'missing.example'];

/** Each filter and the names it selects, newest first. */
const CASES: readonly (readonly [DnsLogFilterInput, string[]])[] = [
  [ALL, [...NEWEST_FIRST, 'api.example.org', 'www.example.com']],
  // since inclusive, until exclusive.
  [{ since: 200, until: 500 }, ['broken.test', 'missing.example', 'api.example.org']],
  [{ since: 700, until: 700 }, []],
  [{ ...ALL, appPath: '/usr/bin/curl' }, ['missing.example', 'api.example.org']],
  [{ ...ALL, appPath: '' }, ['broken.test']],
  [{ ...ALL, appPath: '/usr/bin/CURL' }, []],
  [{ ...ALL, outcomes: ['addresses'] }, ['a\\.b.test', 'api.example.org', 'www.example.com']],
  [{ ...ALL, outcomes: ['no-address'] }, ['a_b%c.example.net']],
  [{ ...ALL, outcomes: ['no-such-name'] }, ['missing.example']],
  [{ ...ALL, outcomes: ['error'] }, ['cdn.other.net', 'broken.test']],
  [{ ...ALL, outcomes: ['no-such-name', 'error'] }, ['cdn.other.net', 'broken.test', 'missing.example']],
  [{ ...ALL, outcomes: [...DNS_OUTCOMES] }, [...NEWEST_FIRST, 'api.example.org', 'www.example.com']],
  // Free text: part of the name, of an address, of the app's path; any case.
  [{ ...ALL, text: 'EXAMPLE' }, ['a_b%c.example.net', 'missing.example', 'api.example.org', 'www.example.com']],
  [{ ...ALL, text: '93.184.216' }, ['www.example.com']],
  [{ ...ALL, text: '216.35' }, ['www.example.com']],
  [{ ...ALL, text: 'DB8::' }, ['a\\.b.test', 'api.example.org']],
  [{ ...ALL, text: '::7' }, ['a\\.b.test']],
  [{ ...ALL, text: 'tools/f' }, ['cdn.other.net']],
  [
    { ...ALL, text: 'usr/bin/' },
    ['a\\.b.test', 'a_b%c.example.net', 'missing.example', 'api.example.org', 'www.example.com'],
  ],
  // Never across two addresses of one answer.
  [{ ...ALL, text: '34 93' }, []],
  // Combined.
  [{ ...ALL, appPath: '/usr/bin/curl', outcomes: ['no-such-name'] }, ['missing.example']],
  [
    { ...ALL, appPath: '/usr/bin/curl', outcomes: ['no-such-name', 'addresses'] },
    ['missing.example', 'api.example.org'],
  ],
  [{ ...ALL, text: 'example', outcomes: ['addresses'] }, ['api.example.org', 'www.example.com']],
  [{ ...ALL, appPath: '/usr/bin/firefox', text: '198.51' }, ['a\\.b.test']],
  [
    { since: 150, until: 650, text: 'example', outcomes: ['no-such-name', 'no-address'] },
    ['a_b%c.example.net', 'missing.example'],
  ],
];

describe('DNS log', () => {
  it('inserts answers and reads every field back, newest first', () => {
    const log = fresh().dnsLog;
    const a = dnsAnswer({ at: 10, addresses: ['192.0.2.1', '192.0.2.2', '2001:db8::1'], ttlSeconds: 60 });
    const b = dnsAnswer({ at: 20, pid: 0, appPath: '', uid: null, name: 'gone.example', qtype: 28, rcode: 3 });
    const c = dnsAnswer({ at: 30, name: 'v4only.example', qtype: 28, addresses: [], ttlSeconds: 0, resolver: '::1' });
    log.insertBatch([a, b, c]);
    const rows = log.page({ filter: ALL, offset: 0, limit: 10 });
    expect(rows).toEqual([
      { ...c, id: 3, outcome: 'no-address' },
      // An NXDOMAIN answer is "no such name" whatever else it carries.
      { ...b, id: 2, outcome: 'no-such-name' },
      { ...a, id: 1, outcome: 'addresses' },
    ]);
    expect(log.size()).toBe(3);
  });

  it('writes each outcome as dnsOutcomeOf gives it', () => {
    const log = fresh().dnsLog;
    const answers = [0, 1, 2, 3, 4, 5, 9, 23].flatMap((rcode, i) => [
      dnsAnswer({ at: i * 2, rcode, addresses: [] }),
      dnsAnswer({ at: i * 2 + 1, rcode, addresses: ['192.0.2.1'] }),
    ]);
    log.insertBatch(answers);
    for (const row of log.page({ filter: ALL, offset: 0, limit: 100 })) {
      expect(row.outcome, `rcode ${String(row.rcode)}`).toBe(dnsOutcomeOf(row.rcode, row.addresses.length));
    }
  });

  it('orders newest first, answers of the same millisecond in the order they were logged', () => {
    const log = fresh().dnsLog;
    log.insertBatch([dnsAnswer({ at: 10, name: 'first.example' }), dnsAnswer({ at: 20, name: 'later.example' })]);
    log.insertBatch([dnsAnswer({ at: 10, name: 'second.example' }), dnsAnswer({ at: 10, name: 'third.example' })]);
    const rows = log.page({ filter: ALL, offset: 0, limit: 10 });
    expect(names(rows)).toEqual(['later.example', 'third.example', 'second.example', 'first.example']);
    expect(rows.map((row) => row.id)).toEqual([2, 4, 3, 1]);
  });

  it('selects by each filter, alone and combined, newest first, and counts the same answers', () => {
    const log = fresh().dnsLog;
    log.insertBatch(ROWS);
    for (const [filter, expected] of CASES) {
      expect(pageNames(log, filter), JSON.stringify(filter)).toEqual(expected);
      expect(log.count(filter), JSON.stringify(filter)).toEqual({ count: expected.length, capped: false });
    }
  });

  it('selects the same answers whichever way a text is read', () => {
    const db = memoryDb();
    createDnsLogStore(db).insertBatch(ROWS);
    const seqNames = new Map(
      db
        .prepare('SELECT seq, name FROM dns_log')
        .all()
        .map((row) => [Number(row['seq']), String(row['name'])]),
    );
    for (const [input, expected] of CASES) {
      const filter = dnsLogFilterSchema.parse(input);
      for (const plan of ['indexed', 'walk'] as const satisfies readonly TextPlan[]) {
        const page = dnsLogPageSql(filter, plan);
        const got = db
          .prepare(page.sql)
          .all(...page.params, 100, 0)
          .map((row) => seqNames.get(Number(row['seq'])));
        expect(got, `${plan} ${JSON.stringify(input)}`).toEqual(expected);
        const where = dnsLogWhere(filter, plan);
        const counted = db.prepare(`SELECT count(*) AS n FROM dns_log WHERE ${where.sql}`).get(...where.params);
        expect(counted?.['n'], `${plan} count ${JSON.stringify(input)}`).toBe(expected.length);
      }
    }
  });

  it('takes LIKE wildcards, the escape character and quotes in the text as themselves', () => {
    const log = fresh().dnsLog;
    log.insertBatch(ROWS);
    expect(pageNames(log, { ...ALL, text: '%' })).toEqual(['a_b%c.example.net']);
    expect(pageNames(log, { ...ALL, text: '_' })).toEqual(['a_b%c.example.net']);
    expect(pageNames(log, { ...ALL, text: 'a_b%c' })).toEqual(['a_b%c.example.net']);
    expect(pageNames(log, { ...ALL, text: 'a%c' })).toEqual([]);
    expect(pageNames(log, { ...ALL, text: '\\' })).toEqual(['a\\.b.test']);
    expect(pageNames(log, { ...ALL, text: "'; DROP TABLE dns_log; --" })).toEqual([]);
    expect(log.count({ ...ALL, text: '_' })).toEqual({ count: 1, capped: false });
    expect(log.size()).toBe(ROWS.length);
  });

  it('pages through the answers with offset and limit', () => {
    const log = fresh().dnsLog;
    log.insertBatch(ROWS);
    const page = (offset: number): string[] => pageNames(log, ALL, offset, 3);
    expect([...page(0), ...page(3), ...page(6)]).toEqual(CASES[0]?.[1]);
    expect(page(6)).toHaveLength(1);
    expect(page(7)).toEqual([]);
    const errors = (offset: number): string[] =>
      pageNames(log, { ...ALL, outcomes: ['error', 'no-such-name'] }, offset, 1);
    expect([errors(0), errors(1), errors(2), errors(3)]).toEqual([
      ['cdn.other.net'],
      ['broken.test'],
      ['missing.example'],
      [],
    ]);
  });

  it('pages a text many answers match as one few match: newest first, every page', () => {
    const db = memoryDb();
    // The same database read by a store that tries a walk first (first pages) and by one that
    // counts the matches first (as for deep pages).
    const logs = [createDnsLogStore(db), createDnsLogStore(db, { walkProbe: 0 })];
    // 1 000 of 2 000 match: a first page walks the log, a deep one sorts the matches.
    const answers = Array.from({ length: 2_000 }, (_, i) =>
      dnsAnswer({ at: i, name: `n${String(i)}.example`, appPath: i % 2 === 0 ? '/usr/bin/firefox' : '/usr/bin/curl' }),
    );
    logs[0]?.insertBatch(answers);
    const expected = answers
      .filter((answer) => answer.appPath === '/usr/bin/firefox')
      .reverse()
      .map((answer) => answer.name);
    for (const [i, log] of logs.entries()) {
      for (const offset of [0, 10, 500, 900, 990, 995]) {
        expect(
          pageNames(log, { ...ALL, text: 'FireFox' }, offset, 10),
          `store ${String(i)} offset ${String(offset)}`,
        ).toEqual(expected.slice(offset, offset + 10));
      }
      // A time range within the log: the walk starts at its newest answer.
      expect(pageNames(log, { since: 100, until: 200, text: 'firefox' }, 0, 3)).toEqual([
        'n198.example',
        'n196.example',
        'n194.example',
      ]);
      expect(log.count({ ...ALL, text: 'firefox' })).toEqual({ count: 1_000, capped: false });
    }
  });

  it('stops counting at the cap and says so', () => {
    const log = createDnsLogStore(memoryDb(), { countCap: 3 });
    log.insertBatch(ROWS);
    expect(log.count(ALL)).toEqual({ count: 3, capped: true });
    expect(log.count({ ...ALL, text: 'example' })).toEqual({ count: 3, capped: true });
    expect(log.count({ ...ALL, outcomes: ['addresses'] })).toEqual({ count: 3, capped: false });
    expect(log.count({ ...ALL, appPath: '/usr/bin/curl' })).toEqual({ count: 2, capped: false });
    // The cap bounds the count, not the pages.
    expect(pageNames(log, ALL)).toHaveLength(ROWS.length);
  });

  it('refuses invalid requests before any SQL runs', () => {
    const log = fresh().dnsLog;
    log.insertBatch(ROWS);
    const bad: readonly unknown[] = [
      { ...ALL, since: 10, until: 5 },
      { ...ALL, since: -1 },
      { since: 0 },
      { ...ALL, text: '' },
      { ...ALL, text: 'x'.repeat(201) },
      { ...ALL, outcomes: [] },
      { ...ALL, outcomes: ['nxdomain'] },
      { ...ALL, appPath: 7 },
      { ...ALL, appPath: { $ne: 1 } },
      { ...ALL, extra: 1 },
    ];
    for (const filter of bad) {
      expect(() => log.count(filter as DnsLogFilterInput), JSON.stringify(filter)).toThrow();
      expect(
        () => log.page({ filter: filter as DnsLogFilterInput, offset: 0, limit: 1 }),
        JSON.stringify(filter),
      ).toThrow();
    }
    for (const [offset, limit] of [
      [0, 0],
      [0, 1_001],
      [-1, 10],
      [0.5, 10],
    ] as const) {
      expect(() => log.page({ filter: ALL, offset, limit }), `${String(offset)} ${String(limit)}`).toThrow();
    }
    expect(() => log.prune(-1, 1_000)).toThrow();
    expect(() => log.prune(Number.NaN, 1_000)).toThrow();
    expect(log.size()).toBe(ROWS.length);
  });

  it('inserts all of a batch or none of it, and joins the caller’s transaction', () => {
    const store = fresh();
    const log = store.dnsLog;
    log.insertBatch([dnsAnswer({ name: 'kept.example' })]);
    // An address text that would not split back the same, and a column's CHECK.
    expect(() => log.insertBatch([dnsAnswer(), dnsAnswer({ addresses: ['192.0.2.1 192.0.2.2'] })])).toThrow(
      /not an address/,
    );
    expect(() => log.insertBatch([dnsAnswer(), dnsAnswer({ qtype: 70_000 })])).toThrow(/CHECK/);
    expect(() =>
      store.transaction(() => {
        log.insertBatch([dnsAnswer({ name: 'rolled-back.example' })]);
        throw new Error('the engine’s write failed');
      }),
    ).toThrow(/engine/);
    expect(pageNames(log, ALL)).toEqual(['kept.example']);
    expect(pageNames(log, { ...ALL, text: 'rolled' })).toEqual([]);
  });

  it('keeps its answers when the database is opened again', () => {
    const path = tempDbPath();
    const first = openStore(path);
    first.dnsLog.insertBatch(ROWS);
    const before = first.dnsLog.page({ filter: ALL, offset: 0, limit: 100 });
    first.close();
    const again = openStore(path);
    open.push(again);
    expect(again.dnsLog.page({ filter: ALL, offset: 0, limit: 100 })).toEqual(before);
    expect(pageNames(again.dnsLog, { ...ALL, text: '216.35' })).toEqual(['www.example.com']);
    // Numbering goes on after the answers kept.
    again.dnsLog.insertBatch([dnsAnswer({ at: 800, name: 'after.example' })]);
    expect(again.dnsLog.page({ filter: ALL, offset: 0, limit: 1 })[0]?.id).toBe(ROWS.length + 1);
  });
});

describe('DNS log retention', () => {
  const now = 100 * DAY;

  it('deletes answers logged before now - maxAgeMs, keeping the one at the edge', () => {
    const log = fresh().dnsLog;
    log.insertBatch([
      dnsAnswer({ at: now - 8 * DAY, name: 'old.example' }),
      dnsAnswer({ at: now - 7 * DAY, name: 'edge.example' }),
      dnsAnswer({ at: now - DAY, name: 'new.example' }),
    ]);
    expect(log.prune(7 * DAY, now)).toBe(1);
    expect(pageNames(log, ALL)).toEqual(['new.example', 'edge.example']);
    expect(log.prune(7 * DAY, now)).toBe(0);
    expect(log.prune(2 * DAY, now)).toBe(1);
    expect(log.size()).toBe(1);
  });

  it('deletes a backlog larger than a chunk, oldest first, whatever the insertion order', () => {
    const log = fresh().dnsLog;
    // 12 000 answers a millisecond apart, logged out of order; the oldest 7 000 are due.
    const start = now - 10 * DAY;
    log.insertBatch(Array.from({ length: 12_000 }, (_, i) => dnsAnswer({ at: start + ((i * 7_919) % 12_000) })));
    expect(log.prune(now - (start + 7_000), now)).toBe(7_000);
    expect(log.count(ALL)).toEqual({ count: 5_000, capped: false });
    expect(log.count({ since: 0, until: start + 7_000 })).toEqual({ count: 0, capped: false });
  });

  it('deletes at most maxRows a call, oldest first, so a long backlog is caught up over several calls', () => {
    const log = fresh().dnsLog;
    const start = now - 10 * DAY;
    log.insertBatch(Array.from({ length: 12_000 }, (_, i) => dnsAnswer({ at: start + i })));
    const due = now - (start + 11_000);
    expect(log.prune(due, now, 4_000)).toBe(4_000);
    expect(log.count({ since: 0, until: start + 4_000 })).toEqual({ count: 0, capped: false });
    expect(log.prune(due, now, 6_000)).toBe(6_000);
    expect(log.prune(due, now, 6_000)).toBe(1_000);
    expect(log.prune(due, now, 6_000)).toBe(0);
    expect(log.size()).toBe(1_000);
  });

  it('forgets the names, apps and addresses no answer kept holds, and still finds every kept one', () => {
    const db = memoryDb();
    const log = createDnsLogStore(db);
    const hour = 3_600_000;
    const t0 = now - 10 * DAY;
    log.insertBatch([
      dnsAnswer({ at: t0, name: 'gone.example', appPath: '/usr/bin/gone', addresses: ['192.0.2.9'] }),
      dnsAnswer({ at: t0, name: 'again.example', appPath: '/usr/bin/again', addresses: ['192.0.2.10'] }),
    ]);
    // Logged again half an hour later: its list entries keep the earlier time (rewritten at
    // most once an hour), yet must outlive the prune of the first answer.
    log.insertBatch([
      dnsAnswer({ at: t0 + hour / 2, name: 'again.example', appPath: '/usr/bin/again', addresses: ['192.0.2.10'] }),
    ]);
    expect(log.prune(now - t0 - hour / 4, now)).toBe(2);
    // A count reads text through the lists (a page this small walks the answers instead).
    for (const text of ['again.ex', 'bin/again', '192.0.2.10']) {
      expect(pageNames(log, { ...ALL, text }), text).toEqual(['again.example']);
      expect(log.count({ ...ALL, text }), text).toEqual({ count: 1, capped: false });
    }
    // Days later, nothing of them is left.
    expect(log.prune(DAY, now)).toBe(1);
    for (const table of ['dns_log_names', 'dns_log_apps', 'dns_log_addresses']) {
      expect(db.prepare(`SELECT count(*) AS n FROM ${table}`).get()?.['n'], table).toBe(0);
    }
  });

  it('leaves no trace of a cleared answer in the database file (zeroed, not just freed)', () => {
    const path = tempDbPath();
    const marker = 'secret-marker-q7x.example';
    const first = openStore(path);
    first.dnsLog.insertBatch([dnsAnswer({ name: marker }), ...Array.from({ length: 500 }, () => dnsAnswer())]);
    first.close();
    const bytes = (): Buffer => readFileSync(path);
    expect(bytes().includes(marker)).toBe(true);
    const second = openStore(path);
    // Written again while open: this copy is in the write-ahead log, not yet in the file.
    second.dnsLog.insertBatch([dnsAnswer({ name: marker })]);
    expect(second.dnsLog.clear()).toBe(502);
    // At once, before any close: neither the file nor its write-ahead log holds the name.
    expect(bytes().includes(marker)).toBe(false);
    expect(readFileSync(`${path}-wal`).includes(marker)).toBe(false);
    second.close();
    expect(bytes().includes(marker)).toBe(false);
  });

  it('clears every answer and its lists, and logs again afterwards', () => {
    const db = memoryDb();
    const log = createDnsLogStore(db);
    log.insertBatch(ROWS);
    expect(log.clear()).toBe(ROWS.length);
    expect(log.size()).toBe(0);
    expect(log.count(ALL)).toEqual({ count: 0, capped: false });
    for (const table of ['dns_log_names', 'dns_log_apps', 'dns_log_addresses']) {
      expect(db.prepare(`SELECT count(*) AS n FROM ${table}`).get()?.['n'], table).toBe(0);
    }
    expect(log.clear()).toBe(0);
    log.insertBatch([dnsAnswer({ name: 'after.example' })]);
    expect(pageNames(log, { ...ALL, text: 'after' })).toEqual(['after.example']);
    // Ids are never reused: the first answer after a clear follows the last one before it.
    expect(log.page({ filter: ALL, offset: 0, limit: 1 })[0]?.id).toBe(ROWS.length + 1);
  });
});

describe('DNS log queries', () => {
  /** The steps of a query plan, as EXPLAIN QUERY PLAN describes them. */
  function planOf(db: DatabaseSync, sql: string, params: readonly SQLInputValue[]): string {
    return db
      .prepare(`EXPLAIN QUERY PLAN ${sql}`)
      .all(...params)
      .map((row) => String(row['detail']))
      .join('; ');
  }

  it('reads each page through an index in time order, never scanning the log or sorting it', () => {
    const db = memoryDb();
    const cases: readonly (readonly [DnsLogFilterInput, TextPlan, RegExp])[] = [
      [ALL, 'indexed', /INDEX dns_log_at\b/],
      [{ ...ALL, appPath: '/x' }, 'indexed', /INDEX dns_log_app_at\b/],
      [{ ...ALL, outcomes: ['error'] }, 'indexed', /INDEX dns_log_outcome_at\b/],
      // Several outcomes: one range each, merged in time order.
      [{ ...ALL, outcomes: ['error', 'no-such-name'] }, 'indexed', /MERGE \(UNION ALL\).*dns_log_outcome_at/],
      // A walk: the time index, or the app's or one outcome's, testing the text on each answer.
      [{ ...ALL, text: 'fire' }, 'walk', /INDEX dns_log_at\b/],
      [{ ...ALL, text: '192.0' }, 'walk', /INDEX dns_log_at\b/],
      [{ ...ALL, text: 'fire', appPath: '/x' }, 'walk', /INDEX dns_log_app_at\b/],
      [{ ...ALL, text: 'fire', outcomes: ['error'] }, 'walk', /INDEX dns_log_outcome_at\b/],
      [{ ...ALL, text: 'fire', outcomes: ['error', 'addresses'] }, 'walk', /INDEX dns_log_at\b/],
    ];
    for (const [input, plan, index] of cases) {
      const page = dnsLogPageSql(dnsLogFilterSchema.parse(input), plan);
      const described = planOf(db, page.sql, [...page.params, 100, 0]);
      expect(described, JSON.stringify(input)).toMatch(index);
      expect(described, JSON.stringify(input)).not.toMatch(/TEMP B-TREE|SCAN dns_log\b/);
    }
  });

  it('finds text few answers match through the lists and the name and app indexes', () => {
    const db = memoryDb();
    for (const input of [
      { ...ALL, text: 'fire' },
      { ...ALL, text: '192.0' },
      { ...ALL, text: 'fire', outcomes: ['error'] },
    ] satisfies DnsLogFilterInput[]) {
      const where = dnsLogWhere(dnsLogFilterSchema.parse(input), 'indexed');
      const described = planOf(db, `SELECT count(*) FROM dns_log WHERE ${where.sql}`, where.params);
      expect(described, JSON.stringify(input)).toMatch(/MULTI-INDEX OR.*INDEX dns_log_name_at.*INDEX dns_log_app_at/);
      expect(described, JSON.stringify(input)).not.toMatch(/SCAN dns_log\b|dns_log_outcome_at/);
    }
  });

  it('counts each filter through an index, never scanning the log', () => {
    const db = memoryDb();
    for (const [input, index] of [
      [ALL, 'dns_log_at'],
      [{ ...ALL, appPath: '/x' }, 'dns_log_app_at'],
      [{ ...ALL, outcomes: ['error', 'no-such-name'] }, 'dns_log_outcome_at'],
    ] as const) {
      const where = dnsLogWhere(dnsLogFilterSchema.parse(input));
      const described = planOf(db, `SELECT count(*) FROM dns_log WHERE ${where.sql}`, where.params);
      expect(described, JSON.stringify(input)).toMatch(new RegExp(`COVERING INDEX ${index}\\b`));
    }
  });
});

describe('DNS log migration', () => {
  it('adds the DNS log to a version 5 database, keeping its history', () => {
    const file = tempDbPath();
    const old = new DatabaseSync(file);
    migrate(old, MIGRATIONS.slice(0, 5));
    old.exec(`INSERT INTO history (id, started_at, pid, app_path, direction, protocol, local_ip, local_port,
      remote_ip, remote_port, host_name, verdict) VALUES
      ('c1', 10, 1, '/usr/bin/curl', 'outbound', 6, '10.0.0.1', 1000, '93.184.216.34', 443, 'example.com', 'allow')`);
    old.close();
    const store = openStore(file);
    open.push(store);
    expect(store.history.query({ ...ALL, limit: 10 })).toEqual([
      historyRow('c1', { startedAt: 10, pid: 1, uid: null, localIp: '10.0.0.1', localPort: 1000 }),
    ]);
    expect(store.dnsLog.size()).toBe(0);
    store.dnsLog.insertBatch([dnsAnswer({ at: 20 })]);
    expect(pageNames(store.dnsLog, { ...ALL, text: 'example.com' })).toEqual(['example.com']);
    const check = new DatabaseSync(file);
    try {
      // Version 6 added the DNS log; opening brings it to the latest.
      expect(schemaVersion(check)).toBe(MIGRATIONS.length);
    } finally {
      check.close();
    }
  });
});
