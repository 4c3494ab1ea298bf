import { randomBytes } from 'node:crypto';
import { destinationOf } from '../contract/destination.ts';
import type { DriverVerdict } from '../contract/driver-events.ts';
import type { RuleAction } from '../contract/rules.ts';
import type { ConnectionRow } from '../contract/views.ts';
import type { HistoryEntry, HistoryUpdate, Store } from '../store/index.ts';

const ACTION_OF: Readonly<Record<DriverVerdict, RuleAction>> = {
  accept: 'allow',
  'permanent-accept': 'allow',
  block: 'block',
  'permanent-block': 'block',
  drop: 'drop',
  'permanent-drop': 'drop',
};

function entryOf(id: string, row: ConnectionRow, verdict: DriverVerdict): HistoryEntry {
  return {
    id,
    startedAt: row.startedAt,
    endedAt: row.endedAt,
    pid: row.pid,
    appPath: row.appPath,
    uid: row.uid,
    ...destinationOf(row),
    localIp: row.localIp,
    localPort: row.localPort,
    verdict: ACTION_OF[verdict],
    ruleId: row.ruleId,
    bytesSent: row.bytesSent,
    bytesReceived: row.bytesReceived,
  };
}

/** Row ids remembered as written (so their changes become updates). */
const MAX_WRITTEN_ROWS = 200_000;

/** What one flush writes: new rows, and end times and byte totals of rows already written. */
export interface HistoryBatch {
  readonly inserts: readonly HistoryEntry[];
  readonly updates: readonly HistoryUpdate[];
  /** The engine's row ids of `inserts`, in the same order. */
  readonly insertedRows: readonly number[];
}

/**
 * Turns connection-row changes into history writes: a row is inserted once it is decided (the
 * history has no 'pending'), later changes of it become updates of its end time and byte
 * totals. Writes are batched: `take` hands out what was noted, `write` runs it in the caller's
 * transaction, and `committed` records it once that transaction has committed. A batch that
 * did not commit is dropped (the caller counts it); a later change of one of its rows inserts
 * that row then, as it stands.
 *
 * History ids are `<run id>-<row id>`: the engine numbers its connection rows from 1 in every
 * process, while the history keeps the rows of every run under a unique id. The run id (its
 * start time and a random part, see `newRunId`) makes them unique without reading the store at
 * start, which may be full or unreadable, and whatever retention has pruned meanwhile.
 */
export class HistoryWriter {
  readonly #runId: string;
  readonly #written = new Set<number>();
  readonly #inserts = new Map<number, HistoryEntry>();
  readonly #updates = new Map<number, HistoryUpdate>();

  constructor(runId: string) {
    this.#runId = runId;
  }

  /** Notes changed rows (from Engine.takeChanges). */
  note(rows: readonly ConnectionRow[]): void {
    for (const row of rows) {
      // Not decided yet, or decided by the driver alone (what it did is not known here): the
      // history records what was done, so such a row waits for a verdict of ours (a retry).
      if (row.verdict === 'pending' || row.verdict === 'driver') continue;
      const id = `${this.#runId}-${String(row.id)}`;
      if (this.#written.has(row.id)) {
        this.#updates.set(row.id, {
          id,
          endedAt: row.endedAt,
          bytesSent: row.bytesSent,
          bytesReceived: row.bytesReceived,
        });
      } else {
        this.#inserts.set(row.id, entryOf(id, row, row.verdict));
      }
    }
  }

  /** Rows noted and not yet taken (inserts and updates). */
  get backlog(): number {
    return this.#inserts.size + this.#updates.size;
  }

  /**
   * Hands out what was noted since the last take, oldest first: at most `limit` rows in all,
   * up to half of them updates when both wait (so neither kind starves the other); the rest
   * stay for the next take. An update is only ever of a row whose insert committed, so a later
   * take never holds an update that an earlier one needed first.
   */
  take(limit = Number.POSITIVE_INFINITY): HistoryBatch {
    const updateShare = Math.min(this.#updates.size, Math.ceil(limit / 2));
    const insertCount = Math.min(this.#inserts.size, limit - updateShare);
    const updateCount = Math.min(this.#updates.size, limit - insertCount);
    const insertedRows: number[] = [];
    const inserts: HistoryEntry[] = [];
    for (const [row, entry] of this.#inserts) {
      if (inserts.length >= insertCount) break;
      insertedRows.push(row);
      inserts.push(entry);
    }
    for (const row of insertedRows) this.#inserts.delete(row);
    const updates: HistoryUpdate[] = [];
    for (const [row, update] of this.#updates) {
      if (updates.length >= updateCount) break;
      updates.push(update);
      this.#updates.delete(row);
    }
    return { inserts, updates, insertedRows };
  }

  /**
   * Lets go of the oldest new rows beyond `limit` (they came faster than the store takes them);
   * returns how many. Updates need no bound: they are of written rows, which are bounded.
   */
  trimInserts(limit: number): number {
    let dropped = 0;
    for (const row of this.#inserts.keys()) {
      if (this.#inserts.size <= limit) break;
      this.#inserts.delete(row);
      dropped += 1;
    }
    return dropped;
  }

  /** Writes a batch (call inside a transaction). */
  write(store: Store, batch: HistoryBatch): void {
    if (batch.inserts.length > 0) store.history.insertBatch(batch.inserts);
    if (batch.updates.length > 0) store.history.updateBatch(batch.updates);
  }

  /** The batch's transaction committed: its rows get updates from now on. */
  committed(batch: HistoryBatch): void {
    for (const row of batch.insertedRows) this.#written.add(row);
    // Bounded, oldest first (a Set keeps insertion order). The engine keeps some 12 000 rows,
    // so one this old has left it and changes no more; forgetting all at once instead would
    // turn the next change of a live row into a second insert of its id.
    for (const row of this.#written) {
      if (this.#written.size <= MAX_WRITTEN_ROWS) break;
      this.#written.delete(row);
    }
  }
}

/** A run id: the start time (base 36) and 8 random hex digits, in case two starts share a millisecond. */
export function newRunId(now: number): string {
  return `${now.toString(36)}${randomBytes(4).toString('hex')}`;
}
