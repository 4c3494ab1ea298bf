import type { DatabaseSync } from 'node:sqlite';

/** How long `truncateWal` keeps trying, and how long it sleeps between tries. */
const TRY_FOR_MS = 1_000;
const SLEEP_MS = 5;

/**
 * Copies the whole WAL into the database and empties the WAL file (a TRUNCATE checkpoint), so
 * that what was deleted is not left in it. Only one checkpoint runs at a time: while another
 * connection's runs (the checkpoint thread, wal-checkpointer.ts), SQLite answers busy at once,
 * without an error and without waiting, so this tries again for up to a second. True once done;
 * false if a reader kept the WAL in use all that time (then the next truncating checkpoint, or
 * the store's close, empties it).
 */
export function truncateWal(db: DatabaseSync): boolean {
  const checkpoint = db.prepare('PRAGMA wal_checkpoint(TRUNCATE)');
  const pause = new Int32Array(new SharedArrayBuffer(4));
  const deadline = Date.now() + TRY_FOR_MS;
  for (;;) {
    if (Number(checkpoint.get()?.['busy'] ?? 0) === 0) return true;
    if (Date.now() >= deadline) return false;
    // A few ms: the thread's checkpoints take about that long.
    Atomics.wait(pause, 0, 0, SLEEP_MS);
  }
}
