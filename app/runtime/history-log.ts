import { appendFile, rename, stat } from 'node:fs/promises';
import type { HistoryEntry, HistoryUpdate } from '../store/index.ts';
import { exportRecord } from './history-export.ts';

/**
 * Continuous logging of connections to a JSON-lines file, for log shippers (a SIEM's agent
 * tailing the file). One line per connection when it is first stored, with `"event":
 * "connection"` and the export's fields (history-export.ts), and one when it ends:
 * `{"event":"end","id","ended_at","ended_at_ms","bytes_sent","bytes_received"}`. A connection
 * taken as ended because it gave no sign of life after the link to the driver was lost, and
 * that ends later, has another end line with its new end time: the last one of an id counts.
 *
 * The file is rotated by size: at `maxBytes` it becomes `<file>.1`, the older ones move up, and
 * the oldest beyond `keep` is overwritten, as logrotate's numbered scheme does (shippers follow
 * it). Writes are asynchronous, one at a time; what comes meanwhile waits in memory up to
 * `maxPendingBytes`, beyond which lines are dropped and counted (a stuck disk never holds up the
 * firewall nor grows without bound). Failures are reported to `onProblem` and the next batch
 * tries again; nothing here throws into the caller.
 */
export interface HistoryLogOptions {
  readonly maxBytes?: number;
  readonly keep?: number;
  readonly maxPendingBytes?: number;
  /** Told about failures and drops (rate-limited by the caller). */
  readonly onProblem: (message: string) => void;
}

const DEFAULT_MAX_BYTES = 10 * 1024 * 1024;
const DEFAULT_KEEP = 5;
const DEFAULT_MAX_PENDING = 8 * 1024 * 1024;
/** End times remembered, so a connection's end is logged once (its later updates are not). */
const MAX_ENDED_IDS = 100_000;

export class HistoryLog {
  #path: string | null = null;
  readonly #maxBytes: number;
  readonly #keep: number;
  readonly #maxPending: number;
  readonly #onProblem: (message: string) => void;
  #pending: string[] = [];
  #pendingBytes = 0;
  #writing: Promise<void> | null = null;
  #dropped = 0;
  /** The end time logged of each connection (by id). */
  readonly #ended = new Map<string, number>();

  constructor(options: HistoryLogOptions) {
    this.#maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    this.#keep = Math.max(1, options.keep ?? DEFAULT_KEEP);
    this.#maxPending = options.maxPendingBytes ?? DEFAULT_MAX_PENDING;
    this.#onProblem = options.onProblem;
  }

  /** Logs to `path` from now on; '' turns logging off (what waits is let go). */
  setPath(path: string): void {
    const next = path === '' ? null : path;
    if (next === this.#path) return;
    this.#path = next;
    if (next === null) {
      this.#pending = [];
      this.#pendingBytes = 0;
    }
  }

  /** Queues the lines of a history batch and starts writing them. */
  record(inserts: readonly HistoryEntry[], updates: readonly HistoryUpdate[]): void {
    if (this.#path === null) return;
    for (const entry of inserts) {
      this.#queue(JSON.stringify({ event: 'connection', ...exportRecord(entry) }));
      if (entry.endedAt !== null) this.#endLogged(entry.id, entry.endedAt);
    }
    for (const update of updates) {
      // Logged again only with another end time: that of a connection taken as ended when the
      // driver link was lost (ConnectionTable.endUnseen), then seen ended later.
      if (update.endedAt === undefined || update.endedAt === null) continue;
      if (this.#ended.get(update.id) === update.endedAt) continue;
      this.#endLogged(update.id, update.endedAt);
      this.#queue(
        JSON.stringify({
          event: 'end',
          id: update.id,
          ended_at: new Date(update.endedAt).toISOString(),
          ended_at_ms: update.endedAt,
          bytes_sent: update.bytesSent ?? null,
          bytes_received: update.bytesReceived ?? null,
        }),
      );
    }
    this.#kick();
  }

  /** Resolves once everything queued so far is written or given up (tests, shutdown). */
  async drain(): Promise<void> {
    while (this.#writing !== null) await this.#writing;
  }

  #endLogged(id: string, endedAt: number): void {
    // Last in the Map's order: it is the newest end.
    this.#ended.delete(id);
    this.#ended.set(id, endedAt);
    // Oldest first (a Map keeps insertion order): a connection this old ended long ago.
    if (this.#ended.size > MAX_ENDED_IDS) {
      const oldest = this.#ended.keys().next().value;
      if (oldest !== undefined) this.#ended.delete(oldest);
    }
  }

  #queue(line: string): void {
    const bytes = Buffer.byteLength(line) + 1;
    if (this.#pendingBytes + bytes > this.#maxPending) {
      this.#dropped += 1;
      return;
    }
    this.#pending.push(line);
    this.#pendingBytes += bytes;
  }

  #kick(): void {
    if (this.#writing !== null || this.#pending.length === 0) return;
    this.#writing = this.#writeAll().finally(() => {
      this.#writing = null;
      // Lines that came while this write ran.
      this.#kick();
    });
  }

  async #writeAll(): Promise<void> {
    const path = this.#path;
    if (path === null) return;
    const lines = this.#pending;
    this.#pending = [];
    this.#pendingBytes = 0;
    const text = `${lines.join('\n')}\n`;
    try {
      await this.#rotateIfFull(path, Buffer.byteLength(text));
      await appendFile(path, text, { mode: 0o600 });
    } catch (error) {
      this.#dropped += lines.length;
      this.#onProblem(`connection log ${path}: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (this.#dropped > 0) {
      this.#onProblem(`connection log ${path}: ${String(this.#dropped)} lines could not be written and were dropped`);
      this.#dropped = 0;
    }
  }

  async #rotateIfFull(path: string, adding: number): Promise<void> {
    const size = await stat(path).then(
      (s) => s.size,
      () => 0,
    );
    if (size === 0 || size + adding <= this.#maxBytes) return;
    for (let n = this.#keep - 1; n >= 1; n--) {
      await rename(`${path}.${String(n)}`, `${path}.${String(n + 1)}`).catch(() => undefined);
    }
    await rename(path, `${path}.1`);
  }
}
