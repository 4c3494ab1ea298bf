import { openStore, type OpenStoreOptions, rescueRulesAndSettings, type Store } from '../store/index.ts';
import { describeError, type RateLimitedLog } from './rate-limited-log.ts';
import { storageErrorText, storageFault } from './storage-errors.ts';

export interface RuntimeStore {
  readonly store: Store;
  /** Why the database could not be opened (the store is then a stand-in in memory); null when it could. */
  readonly unavailable: string | null;
}

/**
 * Opens the database for a host. When the environment refuses it (a full disk, an I/O error, a
 * file that cannot be opened), the firewall must start all the same, since the daemon lets
 * everything through while no app is connected: then the rules and settings are read from the
 * file as far as it can be read, put in a store in memory, and the runtime is told (it shows it
 * in the status, writes no history, and keeps rule changes only until restart). A database of a
 * newer release (StoreVersionError) is still refused: that is a choice to make, not a fault.
 */
export function openRuntimeStore(
  file: string,
  log: RateLimitedLog,
  open: typeof openStore = openStore,
  options: OpenStoreOptions = {},
): RuntimeStore {
  try {
    return { store: open(file, options), unavailable: null };
  } catch (error) {
    if (storageFault(error) === 'data') throw error;
    const reason = storageErrorText(error);
    log.line('storage-open', `storage: could not open ${file} (${describeError(error)}); starting without it`);
    const store = openStore(':memory:');
    try {
      const rescued = rescueRulesAndSettings(file);
      store.transaction(() => {
        for (const rule of rescued.rules) store.rules.put(rule);
        for (const [key, value] of rescued.settings) store.settings.set(key, value);
      });
      const skipped = rescued.skipped === 0 ? '' : `, ${String(rescued.skipped)} unreadable rows left out`;
      log.line('storage-rescue', `storage: read ${String(rescued.rules.length)} rules from ${file}${skipped}`);
      return { store, unavailable: `${reason}; ${String(rescued.rules.length)} rules read from it${skipped}` };
    } catch (rescueError) {
      log.line('storage-rescue', `storage: could not read the rules of ${file} either (${describeError(rescueError)})`);
      return {
        store,
        unavailable: `${reason}; its rules could not be read either, so every connection is asked about`,
      };
    }
  }
}
