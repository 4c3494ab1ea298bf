import type { DriverEvent, DriverVerdict } from '../contract/driver-events.ts';
import type { PushChannel, PushMap } from '../contract/ipc.ts';
import type { DriverState, LogView, Settings, StatusView } from '../contract/views.ts';
import { Engine } from '../engine/engine.ts';
import type { Store } from '../store/index.ts';
import { HistoryWriter } from './history-writer.ts';
import { HitDeltas } from './hit-deltas.ts';
import { loadSettings } from './settings.ts';

/** What the runtime needs of the driver connection. */
export interface DriverPort {
  /** Answers a held request. */
  verdict(requestId: bigint, verdict: DriverVerdict): void;
  /** Asks the driver for the byte counts since the last request. */
  requestBandwidth(): void;
}

export interface RuntimeOptions {
  readonly store: Store;
  readonly driver: DriverPort;
  readonly push: <C extends PushChannel>(channel: C, payload: PushMap[C]) => void;
  readonly caseInsensitivePaths?: boolean;
  readonly onError?: (error: unknown) => void;
}

const MAX_LOGS = 2000;

/**
 * The app between the driver and the screen, shared by headless mode and the Electron shell:
 * the engine, the store and the pushes. It owns no timers and no sockets: the host calls
 * `handleEvent` for each driver event, `flush(now)` about every 100 ms (UI pushes) and
 * `tick(now)` about every second (timeouts, byte counts, writes to the store).
 */
export class Runtime {
  readonly engine: Engine;
  readonly store: Store;
  readonly #driver: DriverPort;
  readonly #push: RuntimeOptions['push'];
  readonly #history: HistoryWriter;
  readonly #hits = new HitDeltas();
  readonly #logs: LogView[] = [];
  readonly #uids = new Map<number, number | null>();
  #driverState: DriverState = 'disconnected';
  #driverMessage = 'not connected yet';
  #settings: Settings;

  constructor(options: RuntimeOptions, now: number) {
    this.store = options.store;
    this.#driver = options.driver;
    this.#push = options.push;
    this.#history = new HistoryWriter((pid) => this.#uids.get(pid) ?? null);
    this.#settings = loadSettings(this.store);
    this.engine = new Engine({
      verdicts: { send: (id, verdict) => this.#driver.verdict(id, verdict) },
      repository: { save: (rule) => this.store.rules.put(rule), remove: (id) => void this.store.rules.delete(id) },
      caseInsensitivePaths: options.caseInsensitivePaths ?? false,
      prompts: this.#promptOptions(this.#settings),
      ...(options.onError === undefined ? {} : { onError: options.onError }),
    });
    // Rules that were to last only until a restart, or whose minutes ran out while we were away.
    this.store.rules.deleteByDuration(['until-restart', 'until-app-quits', 'once']);
    this.store.rules.deleteExpired(now);
    this.engine.attachRules(this.store.rules.list());
  }

  #promptOptions(settings: Settings): { holdTimeoutMs: number; defaultAction: Settings['defaultAction'] } {
    return { holdTimeoutMs: settings.holdTimeoutSeconds * 1000, defaultAction: settings.defaultAction };
  }

  get settings(): Settings {
    return this.#settings;
  }

  applySettings(settings: Settings): void {
    this.#settings = settings;
    this.engine.configurePrompts(this.#promptOptions(settings));
  }

  /** One event from the driver. */
  handleEvent(event: DriverEvent, now: number): void {
    if (event.kind === 'connection' && event.process !== null) this.#uids.set(event.pid, event.process.uid);
    if (event.kind === 'log') this.#appendLog({ at: now, severity: event.severity, message: event.message });
    this.engine.handle(event, now);
  }

  #appendLog(line: LogView): void {
    this.#logs.push(line);
    if (this.#logs.length > MAX_LOGS) this.#logs.splice(0, this.#logs.length - MAX_LOGS);
    this.#push('logs:appended', [line]);
  }

  logs(): readonly LogView[] {
    return this.#logs;
  }

  /** The driver connection changed state. */
  driverStatus(state: DriverState, message: string, now: number): void {
    this.#driverState = state;
    this.#driverMessage = message;
    this.#push('status:changed', this.status(now));
  }

  status(now: number): StatusView {
    const pending = this.engine.listPrompts().reduce((n, group) => n + group.prompts.length, 0);
    return {
      driver: this.#driverState,
      driverMessage: this.#driverMessage,
      mode: this.engine.getMode(now),
      pendingPrompts: pending,
    };
  }

  /** UI pushes: connection changes and prompt changes since the last flush. */
  flush(now: number): void {
    const changes = this.engine.takeChanges();
    if (changes.upserted.length > 0 || changes.removed.length > 0) {
      this.#history.note(changes.upserted);
      this.#push('connections:batched', changes);
    }
    if (this.engine.takePromptsChanged()) {
      this.#push('prompts:changed', this.engine.listPrompts());
      this.#push('status:changed', this.status(now));
    }
  }

  /** Once a second: timeouts and expiries, byte counts, and the store's batched writes. */
  tick(now: number): void {
    this.engine.tick(now);
    this.#driver.requestBandwidth();
    this.flush(now);
    this.store.transaction(() => {
      this.#history.flush(this.store);
      for (const bucket of this.engine.takeAppBuckets()) {
        this.store.bandwidth.add(bucket.app, bucket.second * 1000, bucket.transmitted, bucket.received);
      }
      const hits = this.#hits.increments(this.engine.takeHits());
      if (hits.size > 0) this.store.rules.recordHits(hits);
    });
    this.store.bandwidth.flush();
  }

  /** Answers everything still held and writes what is pending; the host then closes the store. */
  shutdown(now: number): number {
    const answered = this.engine.shutdown(now);
    this.tick(now);
    return answered;
  }
}
