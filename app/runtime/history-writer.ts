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

function entryOf(row: ConnectionRow, verdict: DriverVerdict, uid: number | null): HistoryEntry {
  return {
    id: String(row.id),
    startedAt: row.startedAt,
    endedAt: row.endedAt,
    pid: row.pid,
    appPath: row.appPath,
    uid,
    direction: row.direction,
    protocol: row.flow.protocol,
    localIp: row.flow.localIp,
    localPort: row.flow.localPort,
    remoteIp: row.flow.remoteIp,
    remotePort: row.flow.remotePort,
    hostName: row.host,
    verdict: ACTION_OF[verdict],
    ruleId: row.ruleId,
    bytesSent: row.bytesSent,
    bytesReceived: row.bytesReceived,
  };
}

/**
 * Turns connection-row changes into history writes: a row is inserted once it is decided (the
 * history has no 'pending'), later changes of it become updates of its end time and byte
 * totals. Writes are batched; `flush` runs them in the store's transactions.
 */
export class HistoryWriter {
  readonly #written = new Set<string>();
  readonly #inserts = new Map<string, HistoryEntry>();
  readonly #updates = new Map<string, HistoryUpdate>();
  readonly #uidOf: (pid: number) => number | null;

  constructor(uidOf: (pid: number) => number | null) {
    this.#uidOf = uidOf;
  }

  /** Notes changed rows (from Engine.takeChanges). */
  note(rows: readonly ConnectionRow[]): void {
    for (const row of rows) {
      if (row.verdict === 'pending') continue;
      const id = String(row.id);
      if (this.#written.has(id)) {
        this.#updates.set(id, { id, endedAt: row.endedAt, bytesSent: row.bytesSent, bytesReceived: row.bytesReceived });
      } else {
        this.#inserts.set(id, entryOf(row, row.verdict, this.#uidOf(row.pid)));
      }
    }
  }

  /** Writes what was noted; returns the number of rows inserted and updated. */
  flush(store: Store): number {
    const inserts = [...this.#inserts.values()];
    const updates = [...this.#updates.values()];
    this.#inserts.clear();
    this.#updates.clear();
    if (inserts.length > 0) store.history.insertBatch(inserts);
    if (updates.length > 0) store.history.updateBatch(updates);
    for (const entry of inserts) this.#written.add(entry.id);
    // Rows leave the engine's table eventually; forgetting old ids bounds this set.
    if (this.#written.size > 200_000) this.#written.clear();
    return inserts.length + updates.length;
  }
}
