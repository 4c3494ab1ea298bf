import type { DatabaseSync } from 'node:sqlite';
import type { Migration } from './migrations.ts';
import { StoreVersionError } from './store-errors.ts';
import { inTransaction } from './transaction.ts';

/** Reads `PRAGMA user_version`: the number of the last migration applied (0 for a new file). */
export function schemaVersion(db: DatabaseSync): number {
  const row = db.prepare('PRAGMA user_version').get();
  const version = row?.['user_version'];
  if (typeof version !== 'number') throw new Error('PRAGMA user_version returned no number');
  return version;
}

/**
 * Brings the schema up to the last of `migrations`, each in its own transaction with its
 * version bump, so a crash leaves the database at a version boundary. Refuses (throws
 * StoreVersionError, changes nothing) a database newer than the list.
 */
export function migrate(db: DatabaseSync, migrations: readonly Migration[]): { from: number; to: number } {
  const from = checkVersion(db, migrations);
  const latest = migrations.length;
  for (const migration of migrations.slice(from)) {
    inTransaction(db, () => {
      db.exec(migration.sql);
      // user_version is part of the database header, so it commits (or rolls back) with the SQL.
      db.exec(`PRAGMA user_version = ${migration.version}`);
    });
  }
  return { from, to: latest };
}

/** Returns the database's version; throws StoreVersionError if it is newer than `migrations`. */
export function checkVersion(db: DatabaseSync, migrations: readonly Migration[]): number {
  checkSequence(migrations);
  const found = schemaVersion(db);
  if (found > migrations.length) throw new StoreVersionError(found, migrations.length);
  return found;
}

function checkSequence(migrations: readonly Migration[]): void {
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new Error(`migration "${migration.name}" has version ${migration.version}, expected ${index + 1}`);
    }
  });
}
