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

/** What the runtime needs of the operating system (injected, so tests decide). */
export interface SystemPort {
  /** Whether a process with this pid still runs. */
  processAlive(pid: number): boolean;
  /** Host names of an address (PTR), for connections no DNS answer named. */
  reverseLookup(ip: string): Promise<readonly string[]>;
}

export interface RuntimeOptions {
  readonly store: Store;
  readonly driver: DriverPort;
  readonly system?: SystemPort;
  readonly push: <C extends PushChannel>(channel: C, payload: PushMap[C]) => void;
  readonly caseInsensitivePaths?: boolean;
  readonly onError?: (error: unknown) => void;
}

const MAX_LOGS = 2000;
/** Retention and downsampling run every this many ticks (seconds). */
const HOUSEKEEPING_EVERY_TICKS = 60;
const DAY_MS = 86_400_000;

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
  readonly #system: SystemPort | undefined;
  /** Pids seen per app path, to tell when an app has quit ('until-app-quits' rules). */
  readonly #pidsByApp = new Map<string, Set<number>>();
  #ticks = 0;
  #now = 0;
  #driverState: DriverState = 'disconnected';
  #driverMessage = 'not connected yet';
  #settings: Settings;

  constructor(options: RuntimeOptions, now: number) {
    this.store = options.store;
    this.#driver = options.driver;
    this.#push = options.push;
    this.#history = new HistoryWriter((pid) => this.#uids.get(pid) ?? null);
    this.#settings = loadSettings(this.store);
    this.#system = options.system;
    this.#now = now;
    const system = options.system;
    this.engine = new Engine({
      ...(system === undefined
        ? {}
        : {
            reverseLookup: {
              lookup: (ip: string) => {
                system.reverseLookup(ip).then(
                  (names) => this.engine.reverseLookupAnswered(ip, names, this.#now),
                  () => this.engine.reverseLookupAnswered(ip, [], this.#now),
                );
              },
            },
          }),
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
    this.#now = now;
    if (event.kind === 'connection' && event.process !== null) {
      this.#uids.set(event.pid, event.process.uid);
      if (event.process.path !== '') {
        const pids = this.#pidsByApp.get(event.process.path) ?? new Set<number>();
        pids.add(event.pid);
        this.#pidsByApp.set(event.process.path, pids);
      }
    }
    if (event.kind === 'log') this.#appendLog({ at: now, severity: event.severity, message: event.message });
    this.engine.handle(event, now);
    // A new prompt is pushed at once rather than with the next 100 ms flush: it is what the
    // user waits for.
    if (event.kind === 'connection' && this.engine.takePromptsChanged()) {
      this.#push('prompts:changed', this.engine.listPrompts());
      this.#push('status:changed', this.status(now));
    }
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
    this.#now = now;
    this.engine.tick(now);
    this.#noticeExits(now);
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
    this.#ticks += 1;
    if (this.#ticks % HOUSEKEEPING_EVERY_TICKS === 0) this.#housekeeping(now);
  }

  /** Processes that exited lose their pending prompts; apps with no process left have quit. */
  #noticeExits(now: number): void {
    const system = this.#system;
    if (system === undefined) return;
    for (const group of this.engine.listPrompts()) {
      for (const prompt of group.prompts) {
        for (const pid of prompt.pids) if (!system.processAlive(pid)) this.engine.processExited(pid, now);
      }
    }
    for (const [appPath, pids] of this.#pidsByApp) {
      for (const pid of pids) if (!system.processAlive(pid)) pids.delete(pid);
      if (pids.size === 0) {
        this.#pidsByApp.delete(appPath);
        this.engine.appQuit(appPath);
      }
    }
  }

  /** History retention (settings) and bandwidth downsampling. */
  #housekeeping(now: number): void {
    this.store.history.prune({ maxAgeMs: this.#settings.historyRetentionDays * DAY_MS }, now);
    this.store.bandwidth.downsample(now);
  }

  /** Answers everything still held and writes what is pending; the host then closes the store. */
  shutdown(now: number): number {
    const answered = this.engine.shutdown(now);
    this.tick(now);
    return answered;
  }
}
