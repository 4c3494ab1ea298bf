import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { configureConnection, setBusyTimeout } from './configure-connection.ts';
import { migrate, schemaVersion } from './migrate.ts';
import { MIGRATIONS } from './migrations.ts';
import { openStore } from './open-store.ts';
import { createSettingsStore } from './settings-store.ts';
import { StoreVersionError } from './store-errors.ts';
import { historyRow, ruleInput } from './test-support/fixtures.ts';
import { tempDbPath } from './test-support/temp-db.ts';

function pragma(path: string, name: string): unknown {
  const db = new DatabaseSync(path);
  try {
    return db.prepare(`PRAGMA ${name}`).get()?.[name];
  } finally {
    db.close();
  }
}

describe('openStore', () => {
  it('creates a fresh database at the latest version, in WAL mode', () => {
    const path = tempDbPath();
    const store = openStore(path);
    store.close();
    expect(pragma(path, 'user_version')).toBe(MIGRATIONS.length);
    expect(pragma(path, 'journal_mode')).toBe('wal');
  });

  it('configures WAL, synchronous NORMAL by default or FULL, foreign keys and a busy timeout', () => {
    for (const [durability, synchronous] of [
      [undefined, 1],
      ['normal', 1],
      ['full', 2],
    ] as const) {
      const db = new DatabaseSync(tempDbPath());
      setBusyTimeout(db, { busyTimeoutMs: 1234 });
      configureConnection(db, 'file', durability === undefined ? {} : { durability });
      const read = (name: string, column = name): unknown => db.prepare(`PRAGMA ${name}`).get()?.[column];
      expect(read('journal_mode')).toBe('wal');
      expect(read('synchronous')).toBe(synchronous);
      expect(read('foreign_keys')).toBe(1);
      expect(read('busy_timeout', 'timeout')).toBe(1234);
      db.close();
    }
  });

  it('reopens an existing database and keeps its data', () => {
    const path = tempDbPath();
    const first = openStore(path);
    const rule = first.rules.create(ruleInput(), 5);
    first.close();
    const second = openStore(path);
    expect(second.rules.get(rule.id)).toEqual(rule);
    second.close();
  });

  it('upgrades a version 1 database to the latest version and keeps its rules and settings', () => {
    const path = tempDbPath();
    const v1 = new DatabaseSync(path);
    migrate(v1, MIGRATIONS.slice(0, 1));
    expect(schemaVersion(v1)).toBe(1);
    // Written with version 1's columns (today's rule store writes columns added since).
    v1.prepare(
      `INSERT INTO rules (id, enabled, created_at, updated_at, expires_at, action, direction, app, destination, port,
        protocol, duration, notes) VALUES ('r1', 1, 7, 7, NULL, 'allow', 'outbound', '{"kind":"any"}',
        '{"kind":"host","name":"example.com"}', '{"kind":"any"}', '"any"', '{"kind":"forever"}', 'from v1')`,
    ).run();
    createSettingsStore(v1).set('theme', 'dark');
    v1.close();

    const store = openStore(path);
    expect(pragma(path, 'user_version')).toBe(MIGRATIONS.length);
    expect(store.rules.list()).toEqual([
      expect.objectContaining({ id: 'r1', notes: 'from v1', destination: { kind: 'host', name: 'example.com' } }),
    ]);
    expect(store.rules.list()[0]?.profile).toBeUndefined();
    expect(store.settings.get('theme', z.string(), 'light')).toBe('dark');
    store.history.insertBatch([historyRow('c1')]);
    expect(store.history.count()).toBe(1);
    store.close();
  });

  it('refuses a database from a newer version and leaves it untouched', () => {
    const path = tempDbPath();
    const newer = new DatabaseSync(path);
    newer.exec('CREATE TABLE future (x INTEGER); PRAGMA user_version = 99');
    newer.close();

    expect(() => openStore(path)).toThrow(StoreVersionError);
    expect(() => openStore(path)).toThrow(`schema version 99, newer than the ${String(MIGRATIONS.length)} `);
    expect(pragma(path, 'user_version')).toBe(99);
    expect(pragma(path, 'journal_mode')).toBe('delete');
  });

  it('close is idempotent and flushes buffered bandwidth', () => {
    const path = tempDbPath();
    const store = openStore(path);
    store.bandwidth.add('/usr/bin/curl', 10_500, 100, 200);
    store.close();
    store.close();
    const again = openStore(path);
    expect(again.bandwidth.series('/usr/bin/curl', 0, 60_000)).toEqual({
      resolutionMs: 1000,
      ts: [10_000],
      tx: [100],
      rx: [200],
    });
    again.close();
  });
});
