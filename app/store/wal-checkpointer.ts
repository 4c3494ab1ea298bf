import type { DatabaseSync } from 'node:sqlite';
import { Worker } from 'node:worker_threads';

/** Checkpoints in a thread of their own (OpenStoreOptions.backgroundCheckpoints). */
export interface BackgroundCheckpointOptions {
  /** How often the thread checkpoints, in ms (default 1000). */
  readonly intervalMs?: number;
  /** Told when a checkpoint failed, or the thread stopped and the writer's own took over. */
  readonly onProblem?: (message: string) => void;
}

/** Who copies the WAL into the database: the thread, or the writer after its commits (SQLite's default). */
export type CheckpointMode = 'background' | 'writer';

/**
 * The writer's own checkpoints while the thread does them, in WAL pages (4 KiB each). The WAL
 * starts over only after a checkpoint that copied all of it, so commits that come back to back
 * for seconds grow it whatever the thread does: then the writer checkpoints, as SQLite would
 * without the thread. At 4 000 pages that happened within `bench:decision`'s 4 s at 10 000
 * connections a second (longest wait 54 ms against 31 ms with 10 000), so it waits for this.
 */
const WRITER_PAGES_WITH_THREAD = 10_000;
/** SQLite's default: the writer checkpoints after a commit leaves 1 000 pages in the WAL. */
const WRITER_PAGES_ALONE = 1_000;
const DEFAULT_INTERVAL_MS = 1_000;
/** Checkpoints that did not copy the whole WAL are followed by up to this many, this often. */
const QUICK_RETRIES = 20;
const QUICK_MS = 5;
/** How long `stop` waits for the thread to close its connection. */
const STOP_WAIT_MS = 2_000;

/** What the thread says. */
type ThreadMessage = { readonly kind: 'problem'; readonly message: string };

/** The words the two threads share: the stop request, and the thread's connection closed. */
const STOP = 0;
const CLOSED = 1;

/**
 * The thread's code. It runs in the worker as the text of this function, so it uses only what
 * that context has (no imports, no closure): `process.getBuiltinModule`, and `workerData`:
 * the database's path, the timings, and the shared words (STOP, CLOSED). Between checkpoints it
 * sleeps in `Atomics.wait`, not in an event loop: a wake-up then costs a checkpoint and nothing
 * else (with a timer, V8's own tasks ran at every one, about 1 ms a second when idle).
 */
function checkpointThread(): void {
  const threads = process.getBuiltinModule('node:worker_threads');
  const { DatabaseSync: Database } = process.getBuiltinModule('node:sqlite');
  const { parentPort } = threads;
  const data = threads.workerData as {
    path: string;
    intervalMs: number;
    quickMs: number;
    quickRetries: number;
    shared: SharedArrayBuffer;
  };
  // The same indexes as STOP and CLOSED (this function cannot see them).
  const [stop, closed] = [0, 1];
  const words = new Int32Array(data.shared);
  const say = (message: string): void => parentPort?.postMessage({ kind: 'problem', message });
  const text = (error: unknown): string => (error instanceof Error ? error.message : String(error));
  let db: InstanceType<typeof Database> | null = null;
  try {
    // mode=rw: a database that is not there (moved, deleted) is an error, not a new empty file.
    const url = process.getBuiltinModule('node:url').pathToFileURL(data.path);
    url.searchParams.set('mode', 'rw');
    db = new Database(url);
    // PASSIVE: copies what no reader still needs and never waits for a lock, so the writer and
    // the readers of the main thread are never held up by it.
    const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
    let failing = false;
    let retries = 0;
    let delay = data.intervalMs;
    while (Atomics.wait(words, stop, 0, delay) === 'timed-out') {
      let behind = false;
      try {
        const row = checkpoint.get() as { log?: unknown; checkpointed?: unknown } | undefined;
        behind = Number(row?.checkpointed ?? 0) < Number(row?.log ?? 0);
        failing = false;
      } catch (error) {
        // Once per run of failures (a full disk fails every time until it has space again).
        if (!failing) say(`a checkpoint failed: ${text(error)}`);
        failing = true;
      }
      // The writer starts the WAL over only after a checkpoint that copied all of it; while
      // commits keep coming, one a second rarely does, so one left behind is followed by a few
      // quick ones (each copies only what came since) that may end between commits. Only a few:
      // a thread that kept following a writer that never pauses would take CPU from it (on two
      // cores, from the engine) and could not end that WAL either.
      retries = behind && retries < data.quickRetries ? retries + 1 : 0;
      delay = retries > 0 ? data.quickMs : data.intervalMs;
    }
  } catch (error) {
    say(`could not open the database: ${text(error)}`);
  } finally {
    try {
      db?.close();
    } catch (error) {
      say(`could not close its connection: ${text(error)}`);
    }
    // Whatever happened above, stop() must not wait for a thread that has given up.
    Atomics.store(words, closed, 1);
    Atomics.notify(words, closed);
  }
  // The function returns with nothing left to run, and the thread ends.
}

/**
 * Copies the database's WAL into the database file in a thread of its own, with its own
 * connection, instead of in the writer's commits: SQLite's automatic checkpoint runs inside the
 * commit that crosses 1 000 WAL pages, and there it held the engine's thread for 10–20 ms here
 * (a copy of 4 MB and an fsync; on a slow disk the fsync alone can take longer), with every
 * connection arriving meanwhile waiting for it. The writer keeps a checkpoint of its own at a
 * larger WAL, in case the thread falls behind, and goes back to SQLite's default if the thread
 * stops.
 */
export class WalCheckpointer {
  readonly #db: DatabaseSync;
  readonly #worker: Worker;
  readonly #words = new Int32Array(new SharedArrayBuffer(8));
  readonly #onProblem: (message: string) => void;
  #mode: CheckpointMode = 'background';
  #stopping = false;
  /** The thread is gone (it exited or failed): nothing to wait for at stop. */
  #ended = false;

  constructor(db: DatabaseSync, path: string, options: BackgroundCheckpointOptions = {}) {
    this.#db = db;
    this.#onProblem = options.onProblem ?? ((message) => console.error(`zenithfence: storage: ${message}`));
    const intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS;
    if (!Number.isSafeInteger(intervalMs) || intervalMs < 1) throw new RangeError(`bad interval ${intervalMs}`);
    db.exec(`PRAGMA wal_autocheckpoint = ${WRITER_PAGES_WITH_THREAD}`);
    this.#worker = new Worker(`(${checkpointThread.toString()})()`, {
      eval: true,
      workerData: {
        path,
        intervalMs,
        quickMs: QUICK_MS,
        quickRetries: QUICK_RETRIES,
        shared: this.#words.buffer,
      },
      // Its output is not piped into this process's: it writes none, and a Windows GUI process
      // may have no valid stdout (under Wine, reaching for one failed the Worker's start).
      stdout: true,
      stderr: true,
      // A thread that only copies pages: a small heap is plenty.
      resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 },
    });
    this.#worker.on('message', (message: ThreadMessage) => this.#onProblem(`checkpoints: ${message.message}`));
    this.#worker.on('error', (error) => this.#ends(`the checkpoint thread failed (${error.message})`));
    this.#worker.on('exit', (code) => this.#ends(`the checkpoint thread ended (code ${code})`));
    // It never keeps the process alive on its own. After the listeners: adding a 'message'
    // listener refs the worker again.
    this.#worker.unref();
  }

  /** Who checkpoints now. */
  get mode(): CheckpointMode {
    return this.#mode;
  }

  /**
   * Stops the thread and waits (at most STOP_WAIT_MS) until it has closed its connection, so
   * that the writer's connection, closed next, is the last one and leaves no WAL behind.
   */
  stop(): void {
    if (this.#stopping) return;
    this.#stopping = true;
    this.#mode = 'writer';
    if (this.#ended) return;
    Atomics.store(this.#words, STOP, 1);
    Atomics.notify(this.#words, STOP);
    if (Atomics.wait(this.#words, CLOSED, 0, STOP_WAIT_MS) === 'timed-out') void this.#worker.terminate();
  }

  #ends(why: string): void {
    this.#ended = true;
    if (this.#stopping || this.#mode === 'writer') return;
    this.#mode = 'writer';
    try {
      if (this.#db.isOpen) this.#db.exec(`PRAGMA wal_autocheckpoint = ${WRITER_PAGES_ALONE}`);
    } catch {
      // A connection that cannot even set a pragma fails its writes too; the storage guard says so.
    }
    this.#onProblem(`${why}; the writer checkpoints again`);
  }
}
