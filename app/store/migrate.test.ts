import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import { migrate, schemaVersion } from './migrate.ts';
import type { Migration } from './migrations.ts';
import { MIGRATIONS } from './migrations.ts';
import { StoreVersionError } from './store-errors.ts';

const tables = (db: DatabaseSync): string[] =>
  db
    .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
    .all()
    .map((row) => String(row['name']));

describe('migrate', () => {
  it('brings a fresh database to the latest version', () => {
    const db = new DatabaseSync(':memory:');
    expect(migrate(db, MIGRATIONS)).toEqual({ from: 0, to: MIGRATIONS.length });
    expect(schemaVersion(db)).toBe(MIGRATIONS.length);
    expect(tables(db)).toEqual([
      'bandwidth',
      'dns_log',
      'dns_log_addresses',
      'dns_log_apps',
      'dns_log_names',
      'history',
      'history_apps',
      'history_hosts',
      'learned',
      'rules',
      'settings',
      'sqlite_sequence',
    ]);
    expect(migrate(db, MIGRATIONS)).toEqual({ from: MIGRATIONS.length, to: MIGRATIONS.length });
  });

  it('runs only the missing migrations on an older database', () => {
    const db = new DatabaseSync(':memory:');
    migrate(db, MIGRATIONS.slice(0, 1));
    expect(tables(db)).toEqual(['rules', 'settings']);
    expect(migrate(db, MIGRATIONS)).toEqual({ from: 1, to: MIGRATIONS.length });
  });

  it('rolls back a failing migration and its version bump, keeping earlier ones', () => {
    const db = new DatabaseSync(':memory:');
    const broken: Migration[] = [
      { version: 1, name: 'ok', sql: 'CREATE TABLE a (x INTEGER)' },
      { version: 2, name: 'broken', sql: 'CREATE TABLE b (x INTEGER); INSERT INTO missing VALUES (1)' },
    ];
    expect(() => migrate(db, broken)).toThrow(/no such table: missing/);
    expect(schemaVersion(db)).toBe(1);
    expect(tables(db)).toEqual(['a']);
  });

  it('refuses a database newer than the migrations it knows', () => {
    const db = new DatabaseSync(':memory:');
    const newer = MIGRATIONS.length + 1;
    db.exec(`PRAGMA user_version = ${String(newer)}`);
    expect(() => migrate(db, MIGRATIONS)).toThrow(StoreVersionError);
    expect(schemaVersion(db)).toBe(newer);
  });

  it('rejects a migration list with gaps', () => {
    const db = new DatabaseSync(':memory:');
    expect(() => migrate(db, [{ version: 2, name: 'gap', sql: '' }])).toThrow(/version 2, expected 1/);
  });
});
