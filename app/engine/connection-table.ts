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
  /**
   * How long after the link to the driver is back a row that was live when it was lost may go
   * without a sign of life before it is taken as ended (see `linkLost`).
   */
  readonly unseenGraceMs: number;
}

/**
 * 30 s: a connection that is still open is seen again within a second of the link's return if
 * it moves any byte (the byte counts come every second) and at once if the driver holds it
 * again (a restarted daemon holds every connection's next packet); one idle for longer comes
 * back to life with its next byte (`addBytes`), so a short wait costs little.
 */
export const DEFAULT_TABLE_OPTIONS: ConnectionTableOptions = {
  maxLive: 10_000,
  maxEnded: 2_000,
  unseenGraceMs: 30_000,
};

/** A "Once" answer the user gave a connection, and the process and program it was for. */
export class OnceAnswer {
  readonly verdict: DriverVerdict;
  readonly pid: number;
  readonly appPath: string;

  constructor(verdict: DriverVerdict, pid: number, appPath: string) {
    this.verdict = verdict;
    this.pid = pid;
    this.appPath = appPath;
  }

  /**
   * The verdict for a request about the same connection again: only for the same process
   * running the same program (a pid is reused); else null, and it is asked about. (No answer
   * is kept for a row without a pid: `markAnsweredOnce`.)
   */
  for(request: ConnectionRequest, appPath: string): DriverVerdict | null {
    return request.pid === this.pid && appPath === this.appPath ? this.verdict : null;
  }
}

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
  /** When the link to the driver was lost while the row was live and not seen since; else null. */
  unseenSince: number | null;
  /** The user's "Once" answer for this connection, and whom it was for (see `answeredOnce`). */
  once: OnceAnswer | null;
}

/**
 * The live connection table, ring-bounded, with a dirty set: the shell pushes takeChanges()
 * to the UI at a fixed rate (e.g. every 100 ms) instead of once per event.
 */
export class ConnectionTable {
  readonly #live = new Map<number, Entry>();
  readonly #ended = new Map<number, Entry>();
  readonly #liveOrder = new Fifo<number>((id) => this.#live.has(id)); // by start
  readonly #endedOrder = new Fifo<number>((id) => this.#ended.get(id)?.row.endUnseen === false); // by end
  /** Rows `endUnseen` ended, by then: bounded apart from `maxEnded` (see `endUnseen`). */
  readonly #guessedOrder = new Fifo<number>((id) => this.#ended.get(id)?.row.endUnseen === true);
  readonly #guessed = new Set<Entry>();
  readonly #liveByFlow = new Map<string, Entry>();
  readonly #endedByFlow = new Map<string, Entry>();
  readonly #awaitingName = new Map<string, Set<Entry>>(); // remote ip → rows without a host
  /** Live rows not seen since the link to the driver was lost (`linkLost`). */
  readonly #unseen = new Set<Entry>();
  /** When `endUnseen` ends those rows; null while the link is down or none wait. */
  #unseenDueAt: number | null = null;
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
    // The driver holds the flow again (a restarted daemon holds every open connection's next
    // packet): a row of the same process ended only because it was not seen is its row. A pid
    // of 0 on either side (the driver found no process) does not tell them apart: its row too.
    const guessed = this.#endedByFlow.get(key);
    const samePid =
      guessed !== undefined && (guessed.row.pid === request.pid || guessed.row.pid === 0 || request.pid === 0);
    if (guessed?.row.endUnseen === true && samePid) this.#reopen(guessed);
    const existing = this.#liveByFlow.get(key);
    if (existing !== undefined) {
      this.#seen(existing);
      // Found now, the process the driver could not name when the row opened.
      if (existing.row.pid === 0 && request.pid !== 0) {
        existing.row.pid = request.pid;
        existing.row.uid = app.uid;
        existing.row.appPath = app.path;
        existing.row.app = app.label;
      }
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
      endUnseen: false,
    };
    const entry: Entry = {
      row,
      key,
      awaitingIp: names.host === null ? names.ip : null,
      unseenSince: null,
      once: null,
    };
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

  /**
   * The user's "Once" answer for a row `open` just took up, given again to a request about the
   * same connection (`OnceAnswer.for`). Kept only while the row stays live (open, or waiting to
   * be seen again after a driver link loss): one taken as ended, or that ended, may be another
   * connection on the same addresses by then. The driver asks again about such a connection when
   * it kept no verdict for it: a restarted daemon holds every open connection's next packet. No
   * answer is kept for what decided without one (a rule, the driver's policy, a mode, learning,
   * a hold timeout's default, a blocklist): each decides again by what is in force now.
   */
  answeredOnce(id: number): OnceAnswer | null {
    return this.#live.get(id)?.once ?? null;
  }

  /** The user answered the row's connection "Once" with `verdict` (set after `setVerdict`). */
  markAnsweredOnce(id: number, verdict: DriverVerdict): void {
    const entry = this.#entry(id);
    if (entry === undefined || entry.row.pid === 0) return;
    entry.once = new OnceAnswer(verdict, entry.row.pid, entry.row.appPath);
  }

  setVerdict(id: number, verdict: DriverVerdict, ruleId: string | null): void {
    const entry = this.#entry(id);
    if (entry === undefined) return;
    // Decided anew: an earlier "Once" answer no longer stands for it (see `answeredOnce`).
    entry.once = null;
    entry.row.verdict = verdict;
    entry.row.ruleId = ruleId;
    this.#dirty.add(entry);
  }

  /** The driver decided the row's connection by its policy (a RuleDecided info); `ruleId` null: rule not known. */
  policyDecided(id: number, verdict: DriverVerdict, ruleId: string | null): void {
    const entry = this.#entry(id);
    if (entry === undefined) return;
    entry.once = null;
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
    if (entry === undefined) {
      // Ended by `endUnseen` while it was still open: this is when it ended.
      const guessed = this.#endedByFlow.get(key);
      if (guessed?.row.endUnseen === true) {
        this.#guessed.delete(guessed);
        guessed.row.endUnseen = false;
        guessed.row.endedAt = now;
        this.#dirty.add(guessed);
        this.#endedOrder.push(guessed.row.id);
        this.#boundEnded();
      }
      return;
    }
    this.#toEnded(entry, now, false);
  }

  /**
   * The link to the driver was lost (call it whenever the link leaves 'connected'). The driver
   * tells no one of the ends it sees meanwhile, and a restarted one knows nothing of what the
   * last one reported: every row live now is kept live, but unseen, until it gives a sign of
   * life once the link is back (bytes, the driver holding it again, its end), and `endUnseen`
   * ends those that gave none. Without this they stayed live until the ring dropped them.
   */
  linkLost(now: number): void {
    for (const entry of this.#live.values()) {
      if (entry.unseenSince !== null) continue;
      entry.unseenSince = now;
      this.#unseen.add(entry);
    }
    this.#unseenDueAt = null;
  }

  /** The link to the driver is up: rows still unseen after the grace are ended by `endUnseen`. */
  linkUp(now: number): void {
    this.#unseenDueAt = this.#unseen.size > 0 ? now + this.#options.unseenGraceMs : null;
  }

  /**
   * Once the grace after the link's return has passed, ends every row still unseen, as of the
   * moment the link was lost (the last time it was known to be open); returns how many. A row
   * ended so opens again at its next sign of life. Call it about once a second. Such rows do
   * not count against `maxEnded` (thousands at once would push out every row that really
   * ended, and most of themselves, whose later bytes would then have no row): at most
   * `maxLive` of them are kept, the oldest dropped first.
   */
  endUnseen(now: number): number {
    if (this.#unseenDueAt === null || now < this.#unseenDueAt) return 0;
    this.#unseenDueAt = null;
    const unseen = [...this.#unseen];
    for (const entry of unseen) this.#toEnded(entry, entry.unseenSince ?? now, true);
    return unseen.length;
  }

  #toEnded(entry: Entry, now: number, guessed: boolean): void {
    this.#seen(entry);
    this.#live.delete(entry.row.id);
    this.#liveByFlow.delete(entry.key);
    entry.row.endedAt = now;
    entry.row.endUnseen = guessed;
    this.#ended.set(entry.row.id, entry);
    this.#endedByFlow.set(entry.key, entry);
    this.#dirty.add(entry);
    if (guessed) {
      this.#guessed.add(entry);
      this.#guessedOrder.push(entry.row.id);
      while (this.#guessed.size > this.#options.maxLive) {
        const id = this.#guessedOrder.shift();
        if (id === undefined) break;
        this.#evict(this.#ended, id);
      }
    } else {
      this.#endedOrder.push(entry.row.id);
      this.#boundEnded();
    }
  }

  /** Drops the rows that ended longest ago beyond `maxEnded` (not those `endUnseen` ended). */
  #boundEnded(): void {
    while (this.#ended.size - this.#guessed.size > this.#options.maxEnded) {
      const id = this.#endedOrder.shift();
      if (id === undefined) return;
      this.#evict(this.#ended, id);
    }
  }

  /** A sign of life of a live row: it is no longer unseen. */
  #seen(entry: Entry): void {
    if (entry.unseenSince === null) return;
    entry.unseenSince = null;
    this.#unseen.delete(entry);
  }

  /**
   * A row `endUnseen` ended gave a sign of life: it is live again, unless another row has its
   * flow by now. Room is made in the live ring first, while the row is not in it (its earlier
   * place in the ring's order is still there: once it is back, a full ring may drop it by that
   * place, a little early, as it would have by its start).
   */
  #reopen(entry: Entry): void {
    if (this.#ended.get(entry.row.id) !== entry || this.#liveByFlow.has(entry.key)) return;
    this.#ended.delete(entry.row.id);
    this.#guessed.delete(entry);
    if (this.#endedByFlow.get(entry.key) === entry) this.#endedByFlow.delete(entry.key);
    entry.row.endUnseen = false;
    entry.row.endedAt = null;
    // Taken as ended, it may be another connection now: a "Once" answer no longer stands for it.
    entry.once = null;
    while (this.#live.size >= this.#options.maxLive) {
      const id = this.#liveOrder.shift();
      if (id === undefined) break;
      this.#evict(this.#live, id);
    }
    this.#live.set(entry.row.id, entry);
    this.#liveOrder.push(entry.row.id);
    this.#liveByFlow.set(entry.key, entry);
    this.#dirty.add(entry);
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
    // Bytes are a sign of life (a zero-byte sample is not).
    if (sent > 0 || received > 0) {
      if (entry.row.endUnseen) this.#reopen(entry);
      this.#seen(entry);
    }
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
    this.#seen(entry);
    this.#guessed.delete(entry);
    if (entry.awaitingIp !== null) {
      const waiting = this.#awaitingName.get(entry.awaitingIp);
      if (waiting?.delete(entry) === true && waiting.size === 0) this.#awaitingName.delete(entry.awaitingIp);
    }
    this.#dirty.delete(entry);
    this.#removed.push(entry.row.id);
  }
}
