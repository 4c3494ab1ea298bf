import type { DatabaseSync } from 'node:sqlite';

/** How hard a commit tries to reach the disk; see `configureConnection`. */
export type Durability = 'normal' | 'full';

export interface ConnectionOptions {
  readonly durability?: Durability;
  /** How long to wait for a lock another connection holds (default 5000 ms). */
  readonly busyTimeoutMs?: number;
}

/**
 * Sets the per-connection pragmas.
 *
 * Durability: WAL with synchronous=NORMAL (the default) puts each commit into the WAL file,
 * i.e. the OS page cache, before returning, so a crashed or killed process (SIGKILL) loses
 * nothing committed. SQLite fsyncs only at checkpoints, so a power loss or OS crash may roll
 * back the last few transactions (the database stays consistent). 'full' (synchronous=FULL)
 * fsyncs the WAL at every commit and survives power loss too, at one fsync per commit.
 */
export function configureConnection(db: DatabaseSync, path: string, options: ConnectionOptions = {}): void {
  const mode = db.prepare('PRAGMA journal_mode = WAL').get()?.['journal_mode'];
  if (mode !== 'wal' && path !== ':memory:') throw new Error(`could not switch ${path} to WAL (got ${String(mode)})`);
  db.exec(`PRAGMA synchronous = ${options.durability === 'full' ? 'FULL' : 'NORMAL'}`);
  db.exec('PRAGMA foreign_keys = ON');
  // Truncate the WAL after checkpoints so a burst (a big prune) does not leave a huge file.
  db.exec('PRAGMA journal_size_limit = 67108864');
}

/** Sets the busy timeout; first, because even reading the schema version may meet a lock. */
export function setBusyTimeout(db: DatabaseSync, options: ConnectionOptions = {}): void {
  const ms = options.busyTimeoutMs ?? 5000;
  if (!Number.isSafeInteger(ms) || ms < 0) throw new RangeError(`bad busy timeout ${ms}`);
  db.exec(`PRAGMA busy_timeout = ${ms}`);
}
