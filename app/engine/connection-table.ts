import type { ConnectionRequest, DriverVerdict, FlowTuple } from '../contract/driver-events.ts';
import type { RuleDecidedReport } from '../contract/driver-policy.ts';
import type { AppIdentity } from './app-identity.ts';
import { Fifo } from './fifo.ts';
import { flowKey } from './flow-key.ts';

export type { ConnectionChanges, ConnectionRow } from '../contract/views.ts';
import type { ConnectionChanges, ConnectionRow } from '../contract/views.ts';

export interface ConnectionTableOptions {
  /** Live connections kept; the oldest is dropped beyond it. */
  readonly maxLive: number;
  /** Ended connections kept for the UI and for late byte counts. */
  readonly maxEnded: number;
}

export const DEFAULT_TABLE_OPTIONS: ConnectionTableOptions = { maxLive: 10_000, maxEnded: 2_000 };

/** The remote address (canonical) and the name known for it when the row opens. */
export interface RowNames {
  readonly ip: string;
  readonly host: string | null;
}

type Row = { -readonly [K in keyof ConnectionRow]: ConnectionRow[K] };

/** A row with what the table needs to find it again (kept out of the copies it hands out). */
interface Entry {
  readonly row: Row;
  readonly key: string;
  /** The address the row waits for a name of; null once it has one. */
  awaitingIp: string | null;
}

/**
 * The live connection table, ring-bounded, with a dirty set: the shell pushes takeChanges()
 * to the UI at a fixed rate (e.g. every 100 ms) instead of once per event.
 */
export class ConnectionTable {
  readonly #live = new Map<number, Entry>();
  readonly #ended = new Map<number, Entry>();
  readonly #liveOrder = new Fifo<number>((id) => this.#live.has(id)); // by start
  readonly #endedOrder = new Fifo<number>((id) => this.#ended.has(id)); // by end
  readonly #liveByFlow = new Map<string, Entry>();
  readonly #endedByFlow = new Map<string, Entry>();
  readonly #awaitingName = new Map<string, Set<Entry>>(); // remote ip → rows without a host
  readonly #dirty = new Set<Entry>();
  readonly #removed: number[] = [];
  readonly #options: ConnectionTableOptions;
  #sequence = 0;

  constructor(options: Partial<ConnectionTableOptions> = {}) {
    this.#options = { ...DEFAULT_TABLE_OPTIONS, ...options };
  }

  /**
   * Opens (or, for a flow asked about again, reuses) the row of a request; returns its id.
   * `names.ip` is the canonical remote address that nameLearned() will be called with.
   */
  open(request: ConnectionRequest | RuleDecidedReport, app: AppIdentity, names: RowNames, now: number): number {
    const key = flowKey(request.flow);
    const existing = this.#liveByFlow.get(key);
    if (existing !== undefined) {
      existing.row.verdict = 'pending';
      existing.row.byPolicy = false;
      this.#dirty.add(existing);
      return existing.row.id;
    }
    const row: Row = {
      id: ++this.#sequence,
      // The Destination: the remote address as the engine matched it (canonical, names.ip).
      direction: request.direction,
      protocol: request.flow.protocol,
      remoteIp: names.ip,
      remotePort: request.flow.remotePort,
      host: names.host,
      localIp: request.flow.localIp,
      localPort: request.flow.localPort,
      pid: request.pid,
      uid: app.uid,
      appPath: app.path,
      app: app.label,
      verdict: 'pending',
      ruleId: null,
      byPolicy: false,
      bytesSent: 0,
      bytesReceived: 0,
      startedAt: now,
      endedAt: null,
    };
    const entry: Entry = { row, key, awaitingIp: names.host === null ? names.ip : null };
    this.#live.set(row.id, entry);
    this.#liveOrder.push(row.id);
    this.#liveByFlow.set(key, entry);
    if (entry.awaitingIp !== null) {
      const waiting = this.#awaitingName.get(entry.awaitingIp);
      if (waiting === undefined) this.#awaitingName.set(entry.awaitingIp, new Set([entry]));
      else waiting.add(entry);
    }
    this.#dirty.add(entry);
    while (this.#live.size > this.#options.maxLive) this.#evict(this.#live, this.#liveOrder.shift());
    return row.id;
  }

  setVerdict(id: number, verdict: DriverVerdict, ruleId: string | null): void {
    const entry = this.#entry(id);
    if (entry === undefined) return;
    entry.row.verdict = verdict;
    entry.row.ruleId = ruleId;
    this.#dirty.add(entry);
  }

  /** The driver decided the row's connection by its policy (a RuleDecided info); `ruleId` null: rule not known. */
  policyDecided(id: number, verdict: DriverVerdict, ruleId: string | null): void {
    const entry = this.#entry(id);
    if (entry === undefined) return;
    entry.row.verdict = verdict;
    entry.row.ruleId = ruleId;
    entry.row.byPolicy = true;
    this.#dirty.add(entry);
  }

  /** The driver answered the row's connection itself (the link to it was lost while it was held). */
  driverDecided(id: number): void {
    const entry = this.#entry(id);
    if (entry === undefined || entry.row.verdict !== 'pending') return;
    entry.row.verdict = 'driver';
    entry.row.ruleId = null;
    this.#dirty.add(entry);
  }

  /** Marks the flow's live row ended; it moves to the ring of recently ended rows. */
  end(flow: FlowTuple, now: number): void {
    const key = flowKey(flow);
    const entry = this.#liveByFlow.get(key);
    if (entry === undefined) return;
    this.#live.delete(entry.row.id);
    this.#liveByFlow.delete(key);
    entry.row.endedAt = now;
    this.#ended.set(entry.row.id, entry);
    this.#endedOrder.push(entry.row.id);
    this.#endedByFlow.set(key, entry);
    this.#dirty.add(entry);
    while (this.#ended.size > this.#options.maxEnded) this.#evict(this.#ended, this.#endedOrder.shift());
  }

  /** The live row of a flow (not an ended one: its addresses may be another process's now). */
  liveRowForFlow(flow: FlowTuple): ConnectionRow | undefined {
    return this.#liveByFlow.get(flowKey(flow))?.row;
  }

  /** The row a bandwidth sample belongs to: the live one, else the most recently ended one. */
  rowForFlow(flow: FlowTuple): ConnectionRow | undefined {
    const key = flowKey(flow);
    return (this.#liveByFlow.get(key) ?? this.#endedByFlow.get(key))?.row;
  }

  addBytes(id: number, sent: number, received: number): void {
    const entry = this.#entry(id);
    if (entry === undefined) return;
    entry.row.bytesSent += sent;
    entry.row.bytesReceived += received;
    this.#dirty.add(entry);
  }

  /** Gives rows that had no host name the one just learned for their remote address. */
  nameLearned(ip: string, host: string): void {
    const waiting = this.#awaitingName.get(ip);
    if (waiting === undefined) return;
    this.#awaitingName.delete(ip);
    for (const entry of waiting) {
      entry.awaitingIp = null;
      entry.row.host = host;
      this.#dirty.add(entry);
    }
  }

  /** Live rows, then ended ones (copies). */
  list(): ConnectionRow[] {
    return [...this.#live.values(), ...this.#ended.values()].map((entry) => ({ ...entry.row }));
  }

  get liveCount(): number {
    return this.#live.size;
  }

  /** What changed since the last call (copies of the rows). */
  takeChanges(): ConnectionChanges {
    const upserted = [...this.#dirty].map((entry) => ({ ...entry.row }));
    const removed = this.#removed.splice(0);
    this.#dirty.clear();
    return { upserted, removed };
  }

  #entry(id: number): Entry | undefined {
    return this.#live.get(id) ?? this.#ended.get(id);
  }

  #evict(entries: Map<number, Entry>, id: number | undefined): void {
    const entry = entries.get(id ?? 0);
    if (entry === undefined) return;
    entries.delete(entry.row.id);
    if (this.#liveByFlow.get(entry.key) === entry) this.#liveByFlow.delete(entry.key);
    if (this.#endedByFlow.get(entry.key) === entry) this.#endedByFlow.delete(entry.key);
    if (entry.awaitingIp !== null) {
      const waiting = this.#awaitingName.get(entry.awaitingIp);
      if (waiting?.delete(entry) === true && waiting.size === 0) this.#awaitingName.delete(entry.awaitingIp);
    }
    this.#dirty.delete(entry);
    this.#removed.push(entry.row.id);
  }
}
