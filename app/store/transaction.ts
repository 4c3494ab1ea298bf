import type { DatabaseSync } from 'node:sqlite';

/**
 * Runs `work` in one transaction: everything it wrote is committed together or, if it throws,
 * nothing is. node:sqlite has no transaction helper, so this is ours. Nested calls become
 * savepoints, so an inner failure the caller catches undoes only the inner work.
 */
export function inTransaction<T>(db: DatabaseSync, work: () => T): T {
  if (db.isTransaction) return inSavepoint(db, work);
  // IMMEDIATE takes the write lock up front: a deferred transaction that later needs to write
  // can fail with SQLITE_BUSY halfway through instead of waiting for the busy timeout.
  db.exec('BEGIN IMMEDIATE');
  try {
    const result = work();
    db.exec('COMMIT');
    return result;
  } catch (error) {
    // A failed COMMIT or a statement error may already have ended the transaction.
    if (db.isTransaction) db.exec('ROLLBACK');
    throw error;
  }
}

function inSavepoint<T>(db: DatabaseSync, work: () => T): T {
  db.exec('SAVEPOINT nested');
  try {
    const result = work();
    db.exec('RELEASE nested');
    return result;
  } catch (error) {
    if (db.isTransaction) db.exec('ROLLBACK TO nested; RELEASE nested');
    throw error;
  }
}
