import type { StorageState } from '../contract/views.ts';
import type { RateLimitedLog } from './rate-limited-log.ts';
import { storageErrorText, type StorageFault, storageFault } from './storage-errors.ts';

/** While the database refuses writes, the periodic writes are tried again this often. */
export const STORAGE_RETRY_MS = 5000;

export interface StorageGuardOptions {
  readonly log: RateLimitedLog;
  /** Called when the state (or its message) changed, so the host can push the status. */
  readonly onChange: () => void;
  /** Why the database could not be opened at start (then the store is a stand-in in memory). */
  readonly unavailable?: string | null;
  readonly retryMs?: number;
}

/** What was not written, since the storage last worked. */
interface Dropped {
  connections: number;
  updates: number;
  bandwidth: number;
  dnsAnswers: number;
}

/**
 * The storage's health as the runtime sees it: whether the periodic writes (history, bandwidth,
 * rule hits) may run now, what was dropped while they could not, and one sentence for the user.
 *
 * A full disk (or a broken one) must cost the history, never the firewall: the first failed
 * write puts the storage in 'full' or 'failed', which is logged once and shown in the status;
 * from then on the periodic writes are skipped (and what they held is counted as dropped) except
 * for one attempt every STORAGE_RETRY_MS. The first attempt that commits ends it, which is
 * logged and shown too. 'unavailable' (no database at start) never ends: the data goes nowhere.
 */
export class StorageGuard {
  readonly #log: RateLimitedLog;
  readonly #onChange: () => void;
  readonly #retryMs: number;
  #state: StorageState;
  #reason: string;
  #retryAt = 0;
  #dropped: Dropped = { connections: 0, updates: 0, bandwidth: 0, dnsAnswers: 0 };

  constructor(options: StorageGuardOptions) {
    this.#log = options.log;
    this.#onChange = options.onChange;
    this.#retryMs = options.retryMs ?? STORAGE_RETRY_MS;
    this.#state = options.unavailable == null ? 'ok' : 'unavailable';
    this.#reason = options.unavailable ?? '';
  }

  get state(): StorageState {
    return this.#state;
  }

  /** Whether the periodic writes should be tried now. */
  mayWrite(now: number): boolean {
    if (this.#state === 'ok') return true;
    if (this.#state === 'unavailable') return false;
    return now >= this.#retryAt;
  }

  /** Counts what the periodic writes did not write (skipped, or lost with a failed write). */
  drop(connections: number, updates: number, bandwidth: number, dnsAnswers = 0): void {
    this.#dropped.dnsAnswers += dnsAnswers;
    this.#dropped.connections += connections;
    this.#dropped.updates += updates;
    this.#dropped.bandwidth += bandwidth;
  }

  /** A periodic write committed: a full or failing storage works again. */
  succeeded(): void {
    if (this.#state !== 'full' && this.#state !== 'failed') return;
    const was = this.#state;
    this.#log.line(
      'storage-recovered',
      `storage: saving again (the ${was === 'full' ? 'disk had been full' : 'database had failed'}); ${this.#droppedText()} were not saved meanwhile`,
    );
    this.#state = 'ok';
    this.#reason = '';
    this.#dropped = { connections: 0, updates: 0, bandwidth: 0, dnsAnswers: 0 };
    this.#onChange();
  }

  /**
   * A write threw. A full or failing storage pauses the periodic writes until the next retry;
   * an error of the data itself ('data') is only logged. Returns the classification.
   */
  failed(error: unknown, now: number, what: string): StorageFault {
    const fault = storageFault(error);
    if (fault === 'data' || this.#state === 'unavailable') {
      this.#log.error(`storage: ${what}`, error);
      return fault;
    }
    this.#retryAt = now + this.#retryMs;
    const reason = storageErrorText(error);
    const changed = this.#state !== fault || this.#reason !== reason;
    this.#state = fault;
    this.#reason = reason;
    if (changed) this.#log.line(`storage-${fault}`, `storage: ${this.message()}`);
    // Also after a retry that failed the same way: the status then shows the counts of now.
    this.#onChange();
    return fault;
  }

  /** One sentence or two for the user; '' when all is well. */
  message(): string {
    const retry = `Saving resumes by itself once it works again (tried every ${String(Math.round(this.#retryMs / 1000))} s).`;
    switch (this.#state) {
      case 'ok':
        return '';
      case 'full':
        return `The disk is full (${this.#reason}): connection history and bandwidth are not being saved (${this.#droppedText()} so far), and rule changes cannot be saved. Filtering goes on with the rules in force. ${retry}`;
      case 'failed':
        return `The database cannot be written (${this.#reason}): connection history and bandwidth are not being saved (${this.#droppedText()} so far), and rule changes cannot be saved. Filtering goes on with the rules in force. ${retry}`;
      case 'unavailable':
        return `The database could not be opened (${this.#reason}): ZenithFence filters with the rules it could read, saves no history, and keeps rule changes only until it restarts. Free space or repair the file, then restart ZenithFence.`;
    }
  }

  #droppedText(): string {
    const { connections, updates, bandwidth, dnsAnswers } = this.#dropped;
    // DNS answers are named only when some were lost (most hosts' logs have none: Windows, or the log off).
    const dns = dnsAnswers > 0 ? `, ${plural(dnsAnswers, 'DNS answer')}` : '';
    return `${plural(connections, 'connection')}, ${plural(updates, 'connection update')}${dns} and ${plural(bandwidth, 'bandwidth sample')}`;
  }
}

function plural(count: number, noun: string): string {
  return `${String(count)} ${noun}${count === 1 ? '' : 's'}`;
}
