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

/**
 * Remembers the process details the driver sent, by pid, because a request may carry
 * `process: null` when the details came with an earlier one. Bounded: the oldest pid is
 * forgotten first. A pid whose process exited is forgotten at once (pids are reused).
 */
export class ProcessDirectory {
  readonly #byPid = new Map<number, ProcessInfo>();
  readonly #capacity: number;

  constructor(capacity = 8192) {
    this.#capacity = capacity;
  }

  /** The app of `request`, learning its process details when it carries some. */
  identify(request: ConnectionRequest | RuleDecidedReport): AppIdentity {
    const info = request.process ?? this.#byPid.get(request.pid);
    if (request.process !== null && request.pid !== 0) this.#learn(request.process);
    if (info === undefined) return UNKNOWN;
    return { path: info.path, label: appLabel(info.path, info.uid), uid: info.uid };
  }

  /** The uid of a remembered process, or null. */
  uidOf(pid: number): number | null {
    return this.#byPid.get(pid)?.uid ?? null;
  }

  /** How many processes are remembered (at most the capacity). */
  get size(): number {
    return this.#byPid.size;
  }

  /** Forgets a process that exited. */
  forget(pid: number): void {
    this.#byPid.delete(pid);
  }

  #learn(info: ProcessInfo): void {
    this.#byPid.delete(info.pid);
    this.#byPid.set(info.pid, info);
    if (this.#byPid.size > this.#capacity) evictOldest(this.#byPid, this.#capacity);
  }
}
