import { DatabaseSync } from 'node:sqlite';
import { createBandwidthStore } from './bandwidth-store.ts';
import type { ConnectionOptions } from './configure-connection.ts';
import { configureConnection, setBusyTimeout } from './configure-connection.ts';
import { type PermissionNotice, secureDatabaseFiles } from './data-files.ts';
import { createDnsLogStore } from './dns-log-store.ts';
import { createHistoryStore } from './history-store.ts';
import { createLearnedStore } from './learned-store.ts';
import { checkVersion, migrate } from './migrate.ts';
import { MIGRATIONS } from './migrations.ts';
import { createRuleStore } from './rule-store.ts';
import { createSettingsStore } from './settings-store.ts';
import type { Store } from './store.ts';
import { inTransaction } from './transaction.ts';
import { type BackgroundCheckpointOptions, WalCheckpointer } from './wal-checkpointer.ts';

/** `durability`: 'normal' (default, survives process crashes) or 'full' (survives power loss). */
export interface OpenStoreOptions extends ConnectionOptions {
  /** Told when the database files were open to other users and have been tightened (default: stderr). */
  readonly onPermissionNotice?: PermissionNotice;
  /**
   * Copies the WAL into the database in a thread of its own rather than in the commits that
   * cross SQLite's threshold (wal-checkpointer.ts); none for a database in memory.
   */
  readonly backgroundCheckpoints?: BackgroundCheckpointOptions;
}

/**
 * Opens (creating if needed) the ZenithFence database at `path`, configures it (WAL, see
 * configure-connection.ts for the durability trade-off) and brings the schema up to date.
 * The database and its -wal and -shm files are readable by their owner only (0600), from
 * their creation on; looser existing ones are tightened (data-files.ts).
 * Throws StoreVersionError, leaving the file untouched, if a newer release wrote it. The
 * returned Store is the one writer; use it from one thread.
 */
export function openStore(path: string, options: OpenStoreOptions = {}): Store {
  secureDatabaseFiles(path, options.onPermissionNotice);
  const db = new DatabaseSync(path);
  let checkpointer: WalCheckpointer | null = null;
  try {
    setBusyTimeout(db, options);
    // Before anything writes (switching to WAL rewrites the header): refuse newer files untouched.
    checkVersion(db, MIGRATIONS);
    configureConnection(db, path, options);
    migrate(db, MIGRATIONS);
    if (options.backgroundCheckpoints !== undefined && path !== ':memory:') {
      checkpointer = new WalCheckpointer(db, path, options.backgroundCheckpoints);
    }
    return assemble(db, checkpointer);
  } catch (error) {
    checkpointer?.stop();
    db.close();
    throw error;
  }
}

function assemble(db: DatabaseSync, checkpointer: WalCheckpointer | null): Store {
  const bandwidth = createBandwidthStore(db);
  return {
    rules: createRuleStore(db),
    history: createHistoryStore(db),
    dnsLog: createDnsLogStore(db),
    learned: createLearnedStore(db),
    bandwidth,
    settings: createSettingsStore(db),
    transaction: <T>(work: () => T): T => inTransaction(db, work),
    checkpointMode: () => checkpointer?.mode ?? 'writer',
    close(): void {
      if (!db.isOpen) return;
      try {
        // First, so that this connection is the last one and its close leaves no WAL behind.
        checkpointer?.stop();
        bandwidth.flush();
        // Lets SQLite refresh query-planner statistics it found worth updating.
        db.exec('PRAGMA optimize');
      } finally {
        db.close();
      }
    },
  };
}
