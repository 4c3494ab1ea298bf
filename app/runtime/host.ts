import { realpathSync } from 'node:fs';
import path from 'node:path';
import type { Handlers } from '../contract/dispatch.ts';
import type { DriverPolicy } from '../contract/driver-policy.ts';
import type { NetworkFacts } from '../contract/network.ts';
import type { DriverState } from '../contract/views.ts';
import { type DriverConnect, DriverSession } from '../driver-client/driver-session.ts';
import { openStore, prepareDataDir } from '../store/index.ts';
import { adoptEarlierDatabase } from './earlier-database.ts';
import { contained, guarded } from './guarded.ts';
import { createHandlers } from './handlers.ts';
import { DataDirInUse, type InstanceLock, lockDataDir } from './instance-lock.ts';
import { openRuntimeStore } from './open-runtime-store.ts';
import type { RateLimitedLog } from './rate-limited-log.ts';
import { Runtime, type RuntimeOptions, type SystemPort } from './runtime.ts';

/** The database's name in the data directory. */
export const DATA_FILE = 'zenithfence.sqlite';
/** The connection log for log shippers, beside the database (Settings: "Connection log"). */
export const CONNECTION_LOG_FILE = 'connections.jsonl';
/** Where fetched blocklists are kept, beside the database. */
export const BLOCKLIST_CACHE_DIR = 'blocklists';
/** UI pushes every this often (connection batches, prompt changes). */
const FLUSH_MS = 100;
/** Timeouts, byte counts and store writes every this often. */
const TICK_MS = 1000;
/**
 * History rows (new ones and updates together) one store write takes at most; a second with
 * more is written in parts on the following turns of the event loop, with driver events
 * decided in between.
 */
const HISTORY_ROWS_PER_WRITE = 1000;
/**
 * About how long one of those writes may hold the engine's thread: rows are sized to it from
 * the writes before (history-part-size.ts). A new row cost 20–30 µs here in a fresh database
 * and about 90 µs in one of 100 000 rows, so 1 000 rows held decisions back for 20–90 ms. Not
 * much less: with connections made one after another, each write delays one of them, so many
 * short writes put more connections behind a write than a few long ones (bench:peer's D2 had
 * a worse p99 with 4 ms).
 */
const HISTORY_WRITE_BUDGET_MS = 15;

/** Starts watching the network (app/platform: Windows); the host stops it when it stops. */
export type NetworkWatcherStart = (
  onFacts: (facts: NetworkFacts) => void,
  log: (message: string) => void,
) => { stop(): void };

export interface HostOptions {
  /** The data directory: made (or tightened to) 0700 here; the database is a file in it. */
  readonly dataDir: string;
  /**
   * Where an earlier release kept the database (the desktop app: Electron's userData): moved into
   * `dataDir` once, while `dataDir` has none, so both hosts use the same database.
   */
  readonly earlierDataDir?: string;
  /** Opens the driver connection (the platform's connector, app/platform, or a test's link). */
  readonly connect: DriverConnect;
  readonly push: RuntimeOptions['push'];
  /** The host's log; both hosts also give it to installLastResort. */
  readonly log: RateLimitedLog;
  readonly system?: SystemPort;
  readonly caseInsensitivePaths?: boolean;
  /** The policy as this platform's driver takes it (Windows: NT app paths); default as compiled. */
  readonly driverPolicy?: (policy: DriverPolicy) => DriverPolicy;
  /** What `driverPolicy` depends on besides the rules (app/platform); a change re-sends the policy. */
  readonly driverPolicyKey?: () => string;
  /** Watches the network where the driver does not report it (Windows; app/platform). */
  readonly networkWatcher?: NetworkWatcherStart;
  /** Told of each driver state (headless mode prints the ones that are not 'connected'). */
  readonly onDriverStatus?: (state: DriverState, message: string) => void;
  readonly clock?: () => number;
}

/** The runtime as a host runs it: store, engine, driver session, timers. */
export interface Host {
  readonly runtime: Runtime;
  readonly handlers: Handlers;
  /** Connects to the driver and starts the timers. */
  start(): void;
  /**
   * Answers every held connection first, then stops the timers and the driver session and
   * closes the store. Each step is contained, so a failing store cannot keep the process from
   * exiting or a held connection from its answer. Resolves with the number answered; never rejects.
   */
  stop(): Promise<number>;
}

/**
 * The one composition root of headless mode and the Electron shell (they add only their UI
 * transport and windows). Throws DataDirInUse when another ZenithFence uses the data directory.
 * Every timer and driver callback runs under `guarded`: what throws is
 * logged, rate-limited, and the firewall keeps deciding.
 */
export function createHost(options: HostOptions): Host {
  const clock = options.clock ?? Date.now;
  const log = options.log;
  // The history says who went where: owner only (a disk too full even for a directory is
  // logged, and the store below then starts without a database).
  contained(
    'data directory',
    () => prepareDataDir(options.dataDir, (message) => log.line('data-dir', message)),
    undefined,
    log,
  );
  const lock = takeDataDir(options.dataDir, log);
  const earlier = options.earlierDataDir;
  if (earlier !== undefined) {
    contained(
      'moving the database',
      () => adoptEarlierDatabase(path.join(earlier, DATA_FILE), path.join(options.dataDir, DATA_FILE), log),
      undefined,
      log,
    );
  }
  const { store, unavailable } = openRuntimeStore(path.join(options.dataDir, DATA_FILE), log, openStore, {
    // Checkpoints in a thread of their own: in the writer's commits they held decisions back.
    backgroundCheckpoints: { onProblem: (message) => log.line('storage-checkpoint', `storage: ${message}`) },
  });
  let session: DriverSession | null = null;
  const runtime = new Runtime(
    {
      store,
      driver: {
        verdict: (id, verdict) => session?.verdict(id, verdict),
        requestBandwidth: () => session?.requestBandwidth(),
        sendPolicy: (policy) =>
          session?.sendPolicy(options.driverPolicy?.(policy) ?? policy) ??
          Promise.reject(new Error('the driver session has not started')),
        ...(options.driverPolicyKey === undefined ? {} : { policyKey: options.driverPolicyKey }),
        // Only a driver that reports the network waits for it (on Windows the facts are the app's own).
        networkSeen: (epoch) => (session?.reportsNetwork === true ? session.networkSeen(epoch) : Promise.resolve()),
      },
      push: options.push,
      log,
      storageUnavailable: unavailable,
      connectionLogPath: path.join(options.dataDir, CONNECTION_LOG_FILE),
      blocklistCacheDir: path.join(options.dataDir, BLOCKLIST_CACHE_DIR),
      // Its blocklist downloads must not wait on a prompt about itself. The driver reports the
      // executable as /proc/PID/exe resolves it (Linux), hence the real path.
      ownProcess: { pid: process.pid, path: ownExecutable() },
      historyRowsPerWrite: HISTORY_ROWS_PER_WRITE,
      historyWriteBudgetMs: HISTORY_WRITE_BUDGET_MS,
      ...(options.system === undefined ? {} : { system: options.system }),
      ...(options.caseInsensitivePaths === undefined ? {} : { caseInsensitivePaths: options.caseInsensitivePaths }),
    },
    clock(),
  );
  const handlers = createHandlers(runtime, clock, { exportDir: path.join(options.dataDir, 'exports') });
  const timers: Array<ReturnType<typeof setInterval>> = [];
  // One part of the history backlog per turn of the event loop, after the I/O of that turn.
  let backlogWrite: ReturnType<typeof setImmediate> | null = null;
  const writeBacklog = guarded(
    'history backlog',
    () => {
      backlogWrite = null;
      if (runtime.writeBacklog(clock())) writeBacklogSoon();
    },
    log,
  );
  function writeBacklogSoon(): void {
    backlogWrite ??= setImmediate(writeBacklog);
  }
  let network: { stop(): void } | null = null;

  return {
    runtime,
    handlers,
    start() {
      if (session !== null) return;
      session = new DriverSession({
        connect: options.connect,
        callbacks: {
          onEvent: guarded('driver event', (event) => runtime.handleEvent(event, clock()), log),
          onLinked: guarded('driver link', (policy: boolean) => runtime.driverLinked(policy, clock()), log),
          onStatus: guarded(
            'driver status',
            (state: DriverState, message: string) => {
              runtime.driverStatus(state, message, clock());
              options.onDriverStatus?.(state, message);
            },
            log,
          ),
        },
        onError: (where, error) => log.error(where, error),
      });
      session.start();
      // Windows: the app's own watcher feeds the facts as the daemon's NetworkFacts would.
      network = contained(
        'network watcher',
        () =>
          options.networkWatcher?.(
            guarded(
              'network facts',
              (facts: NetworkFacts) => runtime.handleEvent({ kind: 'network', facts }, clock()),
              log,
            ),
            (message) => log.line('network', message),
          ) ?? null,
        null,
        log,
      );
      timers.push(
        setInterval(
          guarded('flush', () => runtime.flush(clock()), log),
          FLUSH_MS,
        ),
      );
      timers.push(
        setInterval(
          guarded(
            'tick',
            () => {
              runtime.tick(clock());
              if (runtime.historyBacklog > 0) writeBacklogSoon();
            },
            log,
          ),
          TICK_MS,
        ),
      );
    },
    async stop() {
      for (const timer of timers.splice(0)) clearInterval(timer);
      // The shutdown below writes whatever backlog is left, in one write.
      if (backlogWrite !== null) clearImmediate(backlogWrite);
      backlogWrite = null;
      contained('stop: network watcher', () => network?.stop(), undefined, log);
      const answered = contained('stop: answer held connections', () => runtime.shutdown(clock()), 0, log);
      try {
        // The verdicts above are queued on the link; stop() lets them leave before it closes.
        await session?.stop();
      } catch (error) {
        log.error('stop: driver session', error);
      }
      // The shutdown's last batch may still be on its way to the connection log.
      await runtime.drainConnectionLog();
      contained('stop: close the store', () => store.close(), undefined, log);
      contained('stop: release the data directory', () => lock?.release(), undefined, log);
      return answered;
    },
  };
}

/**
 * Takes the data directory for this process (instance-lock.ts). Another ZenithFence using it is
 * a reason not to start (DataDirInUse is thrown); a lock that cannot even be made (a full disk)
 * is not: the firewall must run, so that is logged and it starts unlocked.
 */
function takeDataDir(dir: string, log: RateLimitedLog): InstanceLock | null {
  try {
    return lockDataDir(dir);
  } catch (error) {
    if (error instanceof DataDirInUse) throw error;
    log.error('data directory lock', error);
    return null;
  }
}

/** This process's executable, as the driver names it; '' when it cannot be resolved (then nothing is exempt). */
function ownExecutable(): string {
  try {
    return realpathSync(process.execPath);
  } catch {
    return '';
  }
}
