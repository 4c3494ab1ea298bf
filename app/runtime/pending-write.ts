import type { StorageGuard } from './storage-guard.ts';

/**
 * A value saved whole at every change (the profiles, learning's settings): the latest one waits
 * here until the store takes it. A write the storage refuses (a full disk) is noted by the guard
 * and tried again with the next store write, so a change the disk refused is not undone by a
 * restart; the change applies in memory all the same.
 */
export class PendingWrite<T> {
  readonly #write: (value: T) => void;
  readonly #storage: StorageGuard;
  readonly #what: string;
  #value: T | null = null;

  constructor(what: string, storage: StorageGuard, write: (value: T) => void) {
    this.#what = what;
    this.#storage = storage;
    this.#write = write;
  }

  /** The latest value: written now if the storage takes writes. */
  set(value: T, now: number): void {
    this.#value = value;
    this.flush(now);
  }

  /** Writes the value not saved yet, if any and if the storage takes writes. */
  flush(now: number): void {
    const value = this.#value;
    if (value === null || !this.#storage.mayWrite(now)) return;
    try {
      this.#write(value);
      this.#value = null;
    } catch (error) {
      this.#storage.failed(error, now, this.#what);
    }
  }
}
