import type { ConnectionRequest, ProcessInfo } from '../contract/driver-events.ts';
import type { RuleDecidedReport } from '../contract/driver-policy.ts';
import { evictOldest } from './lru.ts';

/** Who made a connection, as far as the engine knows. */
export interface AppIdentity {
  /** Executable path; '' when unknown. */
  readonly path: string;
  /** What the UI shows and bandwidth is filed under: the path, 'unknown (uid N)' or 'unknown'. */
  readonly label: string;
  readonly uid: number | null;
}

/** The label of an app: its path, else 'unknown (uid N)' when the uid is known, else 'unknown'. */
export function appLabel(path: string, uid: number | null): string {
  if (path !== '') return path;
  return uid === null ? 'unknown' : `unknown (uid ${uid})`;
}

const UNKNOWN: AppIdentity = { path: '', label: 'unknown', uid: null };

/** What the directory keeps of one pid. */
interface Entry {
  /** What the driver reported (a `process` event); null when only a request carried details. */
  readonly reported: ProcessInfo | null;
  /** The latest details: the report, or what a request carried (the system's, through the runtime). */
  readonly current: ProcessInfo;
}

/**
 * The engine's one process directory: what the driver (and the system port, through the
 * runtime) said of each process, by pid. The driver client keeps no process state: it hands
 * Process infos on as `process` events, and connections name only their pid (README.md, "One
 * connection, one destination, one process directory").
 *
 * Bounded: at most `capacity` processes, the least recently used (learned or identified)
 * forgotten first, so a long-lived process that keeps connecting stays while short-lived ones
 * pass. A process that exited is forgotten at once (pids are reused); the directory then says
 * whether it was the last known process of its app (the app quit). A process forgotten for room
 * only does not make its app quit: whether it still runs is not known.
 */
export class ProcessDirectory {
  /** Map order is use order: a hit is moved to the newest end (lru.ts). */
  readonly #byPid = new Map<number, Entry>();
  /** The pids of each known app path, to tell when its last process exited. */
  readonly #pidsByPath = new Map<string, Set<number>>();
  readonly #capacity: number;
  /** A Process info with pid 0 describes only the next connection (as on the wire). */
  #nextUnknown: ProcessInfo | null = null;

  constructor(capacity = 8192) {
    this.#capacity = capacity;
  }

  /**
   * Learns what the driver reported of a process (a `process` event). Returns the app path that
   * quit because its last known pid now names another program, else null.
   */
  learn(info: ProcessInfo): string | null {
    if (info.pid === 0) {
      this.#nextUnknown = info;
      return null;
    }
    return this.#store(info.pid, { reported: info, current: info });
  }

  /**
   * Remembers the details a request carries (pid 0: used for it alone, not remembered). Returns
   * the app path that quit because its last known pid now names another program, else null.
   */
  noteRequest(request: ConnectionRequest | RuleDecidedReport): string | null {
    if (request.process === null || request.pid === 0) return null;
    const reported = this.#byPid.get(request.pid)?.reported ?? null;
    return this.#store(request.pid, { reported, current: request.process });
  }

  /**
   * The app of `request`: the details it carries, else the latest learned for its pid (for pid
   * 0: the report just before it, which describes it alone).
   */
  identify(request: ConnectionRequest | RuleDecidedReport): AppIdentity {
    let info: ProcessInfo | null | undefined;
    if (request.pid === 0) {
      info = request.process ?? this.#nextUnknown;
      this.#nextUnknown = null;
    } else if (request.process !== null) {
      info = request.process;
    } else {
      const entry = this.#byPid.get(request.pid);
      if (entry !== undefined) {
        // A use: the newest end of the LRU order.
        this.#byPid.delete(request.pid);
        this.#byPid.set(request.pid, entry);
      }
      info = entry?.current;
    }
    if (info === null || info === undefined) return UNKNOWN;
    return { path: info.path, label: appLabel(info.path, info.uid), uid: info.uid };
  }

  /**
   * The app of a remembered pid without using it up or moving it in the LRU order (a DNS answer
   * names its asker this way: it must not change which process a connection is taken for).
   * null for pid 0 and for a pid the directory does not know.
   */
  known(pid: number): AppIdentity | null {
    if (pid === 0) return null;
    const info = this.#byPid.get(pid)?.current;
    return info === undefined ? null : { path: info.path, label: appLabel(info.path, info.uid), uid: info.uid };
  }

  /** The link to the driver was lost: a pid-0 report waiting for its connection describes nothing now. */
  linkLost(): void {
    this.#nextUnknown = null;
  }

  /** What the driver reported of `pid` (not a use); undefined when it reported nothing known. */
  reportedOf(pid: number): ProcessInfo | undefined {
    return this.#byPid.get(pid)?.reported ?? undefined;
  }

  /** The uid of a remembered process, or null. */
  uidOf(pid: number): number | null {
    return this.#byPid.get(pid)?.current.uid ?? null;
  }

  /** How many processes are remembered (at most the capacity). */
  get size(): number {
    return this.#byPid.size;
  }

  /** The pids remembered now (a copy: the caller may forget some while it walks them). */
  pids(): number[] {
    return [...this.#byPid.keys()];
  }

  /**
   * Forgets a process that exited. Returns the app path whose last known process it was (that
   * app quit), else null.
   */
  forget(pid: number): string | null {
    const entry = this.#byPid.get(pid);
    if (entry === undefined) return null;
    this.#byPid.delete(pid);
    return this.#leavePath(pid, entry);
  }

  #store(pid: number, entry: Entry): string | null {
    const before = this.#byPid.get(pid);
    this.#byPid.delete(pid);
    const left = before === undefined ? null : this.#leavePath(pid, before);
    this.#byPid.set(pid, entry);
    const path = entry.current.path;
    if (path !== '') {
      const pids = this.#pidsByPath.get(path);
      if (pids === undefined) this.#pidsByPath.set(path, new Set([pid]));
      else pids.add(pid);
    }
    // Evicted pids leave their apps' sets too, without making the app quit (see above).
    if (this.#byPid.size > this.#capacity) {
      evictOldest(this.#byPid, this.#capacity, (evicted, old) => this.#leavePath(evicted, old));
    }
    return left !== null && left !== path && !this.#pidsByPath.has(left) ? left : null;
  }

  /** Takes a removed pid out of its app's set; returns that app's path when its last pid left, else null. */
  #leavePath(pid: number, entry: Entry): string | null {
    const path = entry.current.path;
    if (path === '') return null;
    const pids = this.#pidsByPath.get(path);
    if (pids?.delete(pid) !== true || pids.size > 0) return null;
    this.#pidsByPath.delete(path);
    return path;
  }
}
