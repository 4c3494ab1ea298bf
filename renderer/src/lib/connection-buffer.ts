import type { ConnectionChanges, ConnectionRow } from '../../../app/contract/views.ts';

/**
 * The live connection rows: a Map keyed by connection id, capped like a ring (when full, the
 * oldest-inserted row goes). Batches from `connections:batched` are queued by `enqueue` and
 * applied together by `flush`, which the UI calls at a fixed rate, so a burst of events costs
 * one render, not one per event. `flush` returns a new immutable array only when rows changed.
 */
export class ConnectionBuffer {
  readonly capacity: number;
  readonly #rows = new Map<number, ConnectionRow>();
  #queue: ConnectionChanges[] = [];
  #snapshot: readonly ConnectionRow[] = [];

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`bad capacity ${capacity}`);
    this.capacity = capacity;
  }

  get size(): number {
    return this.#rows.size;
  }

  get pending(): number {
    return this.#queue.length;
  }

  /** Queues a batch; nothing changes until flush(). */
  enqueue(changes: ConnectionChanges): void {
    if (changes.upserted.length > 0 || changes.removed.length > 0) this.#queue.push(changes);
  }

  /** Forgets queued batches (call when asking for a full listing: the listing supersedes them). */
  dropQueued(): void {
    this.#queue = [];
  }

  /**
   * Replaces every row with a full listing (after a reconnect). Batches queued since
   * dropQueued() are newer than the listing and stay queued for the next flush.
   */
  reset(rows: readonly ConnectionRow[]): readonly ConnectionRow[] {
    this.#rows.clear();
    this.#upsert(rows);
    return (this.#snapshot = [...this.#rows.values()]);
  }

  /** Applies queued batches; the same array back when nothing was queued. */
  flush(): readonly ConnectionRow[] {
    if (this.#queue.length === 0) return this.#snapshot;
    const queue = this.#queue;
    this.#queue = [];
    for (const changes of queue) {
      for (const id of changes.removed) this.#rows.delete(id);
      this.#upsert(changes.upserted);
    }
    return (this.#snapshot = [...this.#rows.values()]);
  }

  #upsert(rows: readonly ConnectionRow[]): void {
    for (const row of rows) {
      // A known id keeps its place (Map order is insertion order); a new one goes last.
      this.#rows.set(row.id, row);
      if (this.#rows.size > this.capacity) {
        const oldest = this.#rows.keys().next();
        if (!oldest.done) this.#rows.delete(oldest.value);
      }
    }
  }
}
