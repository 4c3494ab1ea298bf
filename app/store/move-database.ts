import { closeSync, constants, copyFileSync, existsSync, fsyncSync, openSync, renameSync, rmSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';

/** SQLite's companion files of a database in WAL mode. */
const COMPANIONS = ['-wal', '-shm'] as const;

/**
 * Moves the database file `from` to `to`, which must not exist yet. SQLite first writes its
 * write-ahead log into the file (a checkpoint), so the one file carries every committed change
 * and no log is left to pair with the wrong database. Within one file system it is one rename;
 * across file systems it is a copy, flushed, renamed into place, and only then the source is
 * removed, so a crash at any point leaves a whole database in one place or the other.
 * Throws (and moves nothing) when `to` exists or `from` cannot be opened by SQLite.
 */
export function moveDatabase(from: string, to: string): void {
  if (existsSync(to)) throw new Error(`${to} already exists`);
  const db = new DatabaseSync(from);
  try {
    db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
  try {
    renameSync(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
    copyAcross(from, to);
  }
  for (const suffix of COMPANIONS) rmSync(from + suffix, { force: true });
}

function copyAcross(from: string, to: string): void {
  const partial = `${to}.moving`;
  rmSync(partial, { force: true });
  copyFileSync(from, partial, constants.COPYFILE_EXCL);
  const fd = openSync(partial, 'r+');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(partial, to);
  rmSync(from);
}
