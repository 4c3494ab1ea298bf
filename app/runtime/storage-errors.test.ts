import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import { storageErrorText, storageFault } from './storage-errors.ts';

/** The error a real SQLite statement throws. */
function thrownBy(work: () => void): unknown {
  try {
    work();
  } catch (error) {
    return error;
  }
  throw new Error('did not throw');
}

describe('storageFault', () => {
  it('tells a full database from a refused row and a closed database, on real SQLite errors', () => {
    const db = new DatabaseSync(':memory:');
    db.exec('CREATE TABLE t (x TEXT UNIQUE)');
    // max_page_count makes the database full without a full disk.
    db.exec('PRAGMA max_page_count = 2');
    const insert = db.prepare('INSERT INTO t VALUES (?)');
    const full = thrownBy(() => {
      for (let i = 0; i < 10_000; i += 1) insert.run(`${'x'.repeat(200)}${String(i)}`);
    });
    expect(storageFault(full)).toBe('full');
    expect(storageErrorText(full)).toBe('database or disk is full');
    const unique = thrownBy(() => db.exec(`INSERT INTO t VALUES ('${'x'.repeat(200)}0')`));
    expect(storageFault(unique)).toBe('data');
    db.close();
    expect(storageFault(thrownBy(() => db.exec('SELECT 1')))).toBe('failed');
  });

  it('reads file system codes too, and calls anything else a data error', () => {
    expect(storageFault(Object.assign(new Error('no space'), { code: 'ENOSPC' }))).toBe('full');
    expect(storageFault(Object.assign(new Error('io'), { code: 'EIO' }))).toBe('failed');
    expect(storageFault(new RangeError('bad byte counts'))).toBe('data');
    expect(storageFault('a string')).toBe('data');
  });
});
