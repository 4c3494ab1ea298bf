import { closeSync, openSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';

/** The lock file's name in the data directory. */
export const LOCK_FILE = 'instance.lock';

/** Thrown when another ZenithFence (headless mode or the desktop app) uses the data directory. */
export class DataDirInUse extends Error {
  override readonly name = 'DataDirInUse';
  constructor(dir: string) {
    super(
      `another ZenithFence is already running with the data directory ${dir}; ` +
        'stop it first (two would answer the same driver from two rule sets)',
    );
  }
}

export interface InstanceLock {
  /** Releases the lock (the process's end releases it too, however it ends). */
  release(): void;
}

/**
 * Takes the data directory for this process: two hosts on one directory would keep two rule
 * sets in memory over one database, and only one of them can be the driver's client. The lock
 * is SQLite's exclusive lock on a small file of its own (a POSIX record lock underneath), so the
 * kernel releases it when the process ends, even by SIGKILL, and no stale lock is ever left.
 * Throws DataDirInUse when another process holds it.
 */
export function lockDataDir(dir: string): InstanceLock {
  const file = path.join(dir, LOCK_FILE);
  // Owner-only like every data file (SQLite would create it with the umask's mode).
  closeSync(openSync(file, 'a', 0o600));
  const db = new DatabaseSync(file, { timeout: 0 });
  try {
    // EXCLUSIVE locking mode keeps the lock of the first write transaction until close.
    db.exec('PRAGMA locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
    db.exec('COMMIT');
  } catch (error) {
    db.close();
    if (isBusy(error)) throw new DataDirInUse(dir);
    throw error;
  }
  return {
    release: () => {
      if (db.isOpen) db.close();
    },
  };
}

function isBusy(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'errcode' in error && (error.errcode as number) % 256 === 5;
}
