import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import { inTransaction } from './transaction.ts';

function database(): DatabaseSync {
  const db = new DatabaseSync(':memory:');
  db.exec('CREATE TABLE t (x INTEGER)');
  return db;
}
const values = (db: DatabaseSync): number[] =>
  db
    .prepare('SELECT x FROM t ORDER BY x')
    .all()
    .map((row) => Number(row['x']));

describe('inTransaction', () => {
  it('commits all writes and returns the result', () => {
    const db = database();
    const result = inTransaction(db, () => {
      db.exec('INSERT INTO t VALUES (1), (2)');
      return 'done';
    });
    expect(result).toBe('done');
    expect(values(db)).toEqual([1, 2]);
    expect(db.isTransaction).toBe(false);
  });

  it('rolls everything back when the work throws', () => {
    const db = database();
    expect(() =>
      inTransaction(db, () => {
        db.exec('INSERT INTO t VALUES (1)');
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(values(db)).toEqual([]);
    expect(db.isTransaction).toBe(false);
  });

  it('nests as a savepoint: a caught inner failure undoes only the inner work', () => {
    const db = database();
    inTransaction(db, () => {
      db.exec('INSERT INTO t VALUES (1)');
      try {
        inTransaction(db, () => {
          db.exec('INSERT INTO t VALUES (2)');
          throw new Error('inner');
        });
      } catch {
        // expected
      }
      inTransaction(db, () => db.exec('INSERT INTO t VALUES (3)'));
    });
    expect(values(db)).toEqual([1, 3]);
  });
});
