// What the app learns of a Windows process by its pid: the executable's Win32 path, the user it
// runs as, when it started, and whether it still runs, without polling the process list.
//
// Liveness: the process handle of every pid asked about is kept (at most `maxHandles`, least
// recently used closed first) and checked with WaitForSingleObject(handle, 0), which returns at
// once. A held handle also keeps Windows from giving the pid to a new process, so a pid this cache
// holds always means the process it described. A pid seen before but no longer held (evicted, or
// closed by `forget`) is re-opened and its creation time compared: another time means another
// process, and the one the caller knew has exited.
import type { ProcessCalls } from './process-calls.ts';
import {
  PROCESS_QUERY_LIMITED_INFORMATION,
  STILL_ACTIVE,
  SYNCHRONIZE,
  WAIT_OBJECT_0,
  WAIT_TIMEOUT,
  win32ProcessCalls,
} from './process-calls.ts';
import type { OpenFailure } from './process-values.ts';
import { accountName, filetimeToUnixMs, openFailure, sidToString } from './process-values.ts';

/** What is known of one process. */
export interface WindowsProcessFacts {
  readonly pid: number;
  /** The executable's Win32 path (`C:\Windows\System32\curl.exe`); '' when it cannot be read. */
  readonly path: string;
  /** `DOMAIN\user` (or the SID's string when no account is found); null when the token cannot be read. */
  readonly user: string | null;
  /** The creation time as a raw FILETIME (opaque, differs between two processes of one pid); 0n when unknown. */
  readonly startTime: bigint;
  /** The creation time in milliseconds since the Unix epoch; null when unknown. */
  readonly startedAtMs: number | null;
}

/** Options of {@link createWindowsProcessInfo}. */
export interface WindowsProcessInfoOptions {
  /**
   * Process handles kept at most (default 1024): enough for every process with a connection
   * waiting for an answer or an app with a rule 'until it quits', and a small cost to Windows (a
   * handle is a reference to the process object, which an exited process keeps until it is closed).
   */
  readonly maxHandles?: number;
  /**
   * Whether `describe` names the user (LookupAccountSidW, default true). The app's system port
   * passes false: it has no use for the name, and on a domain member whose controller cannot
   * be reached the lookup can block for seconds, on the thread that decides connections.
   */
  readonly accounts?: boolean;
}

/** The process facts of this machine (Windows), see the file comment. */
export interface WindowsProcessInfo {
  /** The facts of `pid`, or undefined when no process has it (or it cannot be opened at all). */
  describe(pid: number): WindowsProcessFacts | undefined;
  /**
   * Whether `pid` still runs. When it cannot be told (an error that is not "no such process"),
   * true: a process wrongly thought gone would lose its waiting connections and its rules.
   */
  alive(pid: number): boolean;
  /** Closes the handle of `pid`, if one is held (the caller no longer follows it). */
  forget(pid: number): void;
  /**
   * The driver saw `pid` started at `startTime` (a raw FILETIME; 0n unknown): `alive` then
   * compares a process it opens for that pid with it, so a pid reused before the first check
   * is not taken for the process the caller follows.
   */
  note(pid: number, startTime: bigint): void;
  /** How many process handles are held. */
  readonly heldHandles: number;
  /** Closes every handle. */
  close(): void;
}

const DEFAULT_MAX_HANDLES = 1024;
/** Creation times remembered for pids whose handle is no longer held, this many times the handles. */
const KNOWN_STARTS_PER_HANDLE = 4;

interface Held {
  readonly handle: bigint;
  /** undefined when GetProcessTimes failed. */
  readonly creation: bigint | undefined;
  facts: WindowsProcessFacts | undefined;
}

type Opened = { readonly held: Held } | { readonly failure: OpenFailure };

/** The process facts over injected calls (tests) or the real ones ({@link openWindowsProcessInfo}). */
export function createWindowsProcessInfo(
  calls: ProcessCalls,
  options: WindowsProcessInfoOptions = {},
): WindowsProcessInfo {
  const maxHandles = Math.max(1, options.maxHandles ?? DEFAULT_MAX_HANDLES);
  // Insertion order is use order: re-inserting moves a pid to the newest end.
  const held = new Map<number, Held>();
  // Creation times of pids described before, to recognise pid reuse once their handle is gone.
  const knownStarts = new Map<number, bigint>();
  // Pids whose followed process was seen to exit: an open of such a pid that cannot be compared
  // (access denied: a protected process has the pid now) does not make it alive again.
  const exitedPids = new Set<number>();
  const accounts = options.accounts ?? true;

  function keepStart(pid: number, creation: bigint): void {
    knownStarts.delete(pid);
    knownStarts.set(pid, creation);
    if (knownStarts.size > maxHandles * KNOWN_STARTS_PER_HANDLE) {
      const oldest = knownStarts.keys().next();
      if (oldest.done !== true) knownStarts.delete(oldest.value);
    }
  }

  function markExited(pid: number): void {
    exitedPids.add(pid);
    if (exitedPids.size > maxHandles * KNOWN_STARTS_PER_HANDLE) {
      const oldest = exitedPids.values().next();
      if (oldest.done !== true) exitedPids.delete(oldest.value);
    }
  }

  function remember(pid: number, entry: Held): void {
    held.delete(pid);
    held.set(pid, entry);
    if (entry.creation !== undefined) keepStart(pid, entry.creation);
    while (held.size > maxHandles) {
      const oldest = held.entries().next();
      if (oldest.done === true) break;
      drop(oldest.value[0], oldest.value[1]);
    }
  }

  function drop(pid: number, entry: Held): void {
    held.delete(pid);
    calls.closeHandle(entry.handle);
  }

  function open(pid: number): Opened {
    let got = calls.openProcess(pid, PROCESS_QUERY_LIMITED_INFORMATION | SYNCHRONIZE);
    // Some processes grant the query right but not SYNCHRONIZE; liveness then uses the exit code.
    if (got.value === 0n && openFailure(got.code) === 'protected') {
      got = calls.openProcess(pid, PROCESS_QUERY_LIMITED_INFORMATION);
    }
    if (got.value === 0n) return { failure: openFailure(got.code) };
    return { held: { handle: got.value, creation: calls.creationTime(got.value), facts: undefined } };
  }

  function exited(entry: Held): boolean {
    const waited = calls.waitZero(entry.handle);
    if (waited === WAIT_OBJECT_0) return true;
    if (waited === WAIT_TIMEOUT) return false;
    // No SYNCHRONIZE right (or the wait failed): the exit code says it, except for a process
    // that really exited with 259; undefined (the call failed) is taken as running.
    const code = calls.exitCode(entry.handle);
    return code !== undefined && code !== STILL_ACTIVE;
  }

  function factsOf(pid: number, entry: Held): WindowsProcessFacts {
    const sid = accounts ? calls.userSid(entry.handle) : undefined;
    const account = sid === undefined ? undefined : calls.lookupAccount(sid);
    const user =
      account !== undefined
        ? accountName(account.domain, account.name)
        : sid === undefined
          ? null
          : (sidToString(sid) ?? null);
    return {
      pid,
      path: calls.imagePath(entry.handle) ?? '',
      user,
      startTime: entry.creation ?? 0n,
      startedAtMs: entry.creation === undefined ? null : filetimeToUnixMs(entry.creation),
    };
  }

  return {
    describe(pid) {
      let entry = held.get(pid);
      if (entry === undefined) {
        const opened = open(pid);
        if ('failure' in opened) return undefined;
        entry = opened.held;
        // The caller follows this process now, whatever exited under its pid before.
        exitedPids.delete(pid);
      }
      // Touch it (or add it); the facts of a held handle never change, so they are read once.
      remember(pid, entry);
      entry.facts ??= factsOf(pid, entry);
      return entry.facts;
    },

    alive(pid) {
      const entry = held.get(pid);
      if (entry !== undefined) {
        if (!exited(entry)) {
          remember(pid, entry); // in use: the last to be let go
          return true;
        }
        // Gone: closing the handle lets Windows free the pid (and a new process may get it).
        drop(pid, entry);
        markExited(pid);
        return false;
      }
      const opened = open(pid);
      if ('failure' in opened) return opened.failure !== 'gone' && !exitedPids.has(pid);
      const known = knownStarts.get(pid);
      if (known !== undefined && opened.held.creation !== undefined && opened.held.creation !== known) {
        // Another process has the pid now: the one the caller follows exited.
        knownStarts.delete(pid);
        calls.closeHandle(opened.held.handle);
        markExited(pid);
        return false;
      }
      if (exitedPids.has(pid)) {
        // Seen to exit before: whatever has the pid now is another process.
        calls.closeHandle(opened.held.handle);
        return false;
      }
      if (exited(opened.held)) {
        calls.closeHandle(opened.held.handle);
        markExited(pid);
        return false;
      }
      remember(pid, opened.held);
      return true;
    },

    forget(pid) {
      const entry = held.get(pid);
      if (entry !== undefined) drop(pid, entry);
      knownStarts.delete(pid);
      exitedPids.delete(pid);
    },

    note(pid, startTime) {
      if (startTime === 0n || held.has(pid)) return;
      keepStart(pid, startTime);
      // A new process the driver saw: whatever exited under this pid before is not this one.
      exitedPids.delete(pid);
    },

    get heldHandles() {
      return held.size;
    },

    close() {
      for (const [pid, entry] of [...held]) drop(pid, entry);
      knownStarts.clear();
    },
  };
}

/**
 * The real process facts (Windows only): e.g. `openWindowsProcessInfo().describe(pid)`. The
 * first call opens kernel32 and advapi32.
 */
export function openWindowsProcessInfo(options: WindowsProcessInfoOptions = {}): WindowsProcessInfo {
  return createWindowsProcessInfo(win32ProcessCalls(), options);
}
