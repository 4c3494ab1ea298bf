import type { ConnectionChanges, ConnectionRow } from '../../../app/contract/views.ts';

/**
 * What one flush changed, so a sorted view can be updated in place instead of re-sorting every
 * row (lib/connection-view.ts): the rows upserted as they are now, the ids that went (removed
 * or evicted), and each row's arrival rank (the order of the snapshot: ties sort by it).
 */
export interface ConnectionDelta {
  /** The snapshot this delta turns into the one it is stored for. */
  readonly from: readonly ConnectionRow[];
  readonly upserted: readonly ConnectionRow[];
  readonly removed: readonly number[];
  readonly rank: (id: number) => number;
}

/**
 * The live connection rows: a Map keyed by connection id, capped like a ring (when full, the
 * oldest-inserted row goes). Batches from `connections:batched` are queued by `enqueue` and
 * applied together by `flush`, which the UI calls at a fixed rate, so a burst of events costs
 * one render, not one per event. `flush` returns a new immutable array only when rows changed.
 */
export class ConnectionBuffer {
  readonly capacity: number;
  readonly #rows = new Map<number, ConnectionRow>();
  /** Arrival rank per id: rises with Map insertion order, so snapshot order is rank order. */
  readonly #ranks = new Map<number, number>();
  #nextRank = 0;
  /** Only the last flush's delta is kept: a delta holds the snapshot before it, so keeping
   * more would chain every old 100 000-row snapshot in memory. */
  #delta: { readonly to: readonly ConnectionRow[]; readonly delta: ConnectionDelta } | null = null;
  readonly #rankOf = (id: number): number => this.#ranks.get(id) ?? -1;
  #queue: ConnectionChanges[] = [];
  #snapshot: readonly ConnectionRow[] = [];
  /** Rows not ended, kept as rows come and go: counting them per flush is a pass over 100 000. */
  #live = 0;

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
    this.#ranks.clear();
    this.#delta = null;
    this.#live = 0;
    this.#upsert(rows, new Set());
    return (this.#snapshot = [...this.#rows.values()]);
  }

  /** Applies queued batches; the same array back when nothing was queued. */
  flush(): readonly ConnectionRow[] {
    if (this.#queue.length === 0) return this.#snapshot;
    const queue = this.#queue;
    this.#queue = [];
    const touched = new Set<number>();
    for (const changes of queue) {
      for (const id of changes.removed) {
        if (this.#take(id)) touched.add(id);
        this.#ranks.delete(id);
      }
      this.#upsert(changes.upserted, touched);
    }
    const from = this.#snapshot;
    const upserted: ConnectionRow[] = [];
    const removed: number[] = [];
    for (const id of touched) {
      const now = this.#rows.get(id);
      if (now === undefined) removed.push(id);
      else upserted.push(now);
    }
    this.#snapshot = [...this.#rows.values()];
    this.#delta = { to: this.#snapshot, delta: { from, upserted, removed, rank: this.#rankOf } };
    return this.#snapshot;
  }

  /**
   * What the flush that returned `snapshot` changed; undefined unless `snapshot` is the latest
   * flush's (ranks are current, so an older delta could disagree with them) or after a reset.
   */
  deltaOf(snapshot: readonly ConnectionRow[]): ConnectionDelta | undefined {
    return this.#delta !== null && this.#delta.to === snapshot ? this.#delta.delta : undefined;
  }

  /** How many rows of `snapshot` are live (not ended); undefined unless it is the latest one. */
  liveOf(snapshot: readonly ConnectionRow[]): number | undefined {
    return snapshot === this.#snapshot ? this.#live : undefined;
  }

  /** Deletes a row, keeping the live count; whether it was there. */
  #take(id: number): boolean {
    const old = this.#rows.get(id);
    if (old === undefined) return false;
    if (old.endedAt === null) this.#live -= 1;
    this.#rows.delete(id);
    return true;
  }

  #upsert(rows: readonly ConnectionRow[], touched: Set<number>): void {
    for (const row of rows) {
      // A known id keeps its place (Map order is insertion order) and its rank; a new one goes last.
      if (!this.#ranks.has(row.id)) this.#ranks.set(row.id, this.#nextRank++);
      const old = this.#rows.get(row.id);
      if (old !== undefined && old.endedAt === null) this.#live -= 1;
      if (row.endedAt === null) this.#live += 1;
      this.#rows.set(row.id, row);
      touched.add(row.id);
      if (this.#rows.size > this.capacity) {
        const oldest = this.#rows.keys().next();
        if (!oldest.done) {
          this.#take(oldest.value);
          this.#ranks.delete(oldest.value);
          touched.add(oldest.value);
        }
      }
    }
  }
}
