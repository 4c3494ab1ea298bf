import { type ChildProcess, spawn } from 'node:child_process';
import { probeDriverSocket } from './driver-probe.ts';

/** How long the daemon may take to install its rules and listen (it takes well under 1 s here). */
const READY_TIMEOUT_MS = 20_000;
const POLL_MS = 50;
/** How long a SIGTERMed daemon may take to answer what it holds and remove its rules. */
const STOP_GRACE_MS = 10_000;
/**
 * The daemon's whole environment. It runs as root: nothing of the invoker's may steer it
 * (LD_PRELOAD, a PATH with their own nft or iptables, NOTIFY_SOCKET or JOURNAL_STREAM of a session it
 * is not part of); its nft children (and iptables-nft, which sweeps an older version's rules) are found in the system's directories.
 */
export const DAEMON_ENV: Readonly<Record<string, string>> = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };

export interface DaemonOptions {
  /** The zenithfenced binary. */
  readonly binary: string;
  readonly socket: string;
  /** The group whose members may connect (the user of `sudo npm start`); root only when absent. */
  readonly group?: string | undefined;
  /** Where it stores the app's policy (default: the daemon's, /var/lib/zenithfence/policy). */
  readonly policyFile?: string | undefined;
  /** Put before the command (setpriv --pdeathsig: it stops if the launcher is killed). */
  readonly prefix?: readonly string[];
  /** Aborting it while the daemon starts stops the daemon; the start then fails as cancelled. */
  readonly signal?: AbortSignal;
}

/** A zenithfenced this process started. */
export interface StartedDaemon {
  readonly pid: number;
  /** Resolves with its exit code (null: ended by a signal) once it exited. */
  readonly exited: Promise<number | null>;
  /** Stops it with SIGTERM (it answers what it holds and removes its rules), SIGKILL after a grace. */
  stop(): Promise<number | null>;
}

/** Thrown when the daemon cannot be started or exits before it is ready; the message says why. */
export class DaemonStartError extends Error {
  override readonly name = 'DaemonStartError';
  /** The start was given up because `signal` was aborted (Ctrl-C), not because it failed. */
  readonly cancelled: boolean;
  constructor(message: string, cancelled = false) {
    super(message);
    this.cancelled = cancelled;
  }
}

/** The daemon's arguments for `options`. */
export function daemonArgs(options: DaemonOptions): string[] {
  return [
    '--socket',
    options.socket,
    ...(options.group === undefined ? [] : ['--group', options.group]),
    ...(options.policyFile === undefined ? [] : ['--policy-file', options.policyFile]),
  ];
}

/**
 * Starts zenithfenced and resolves once its socket listens: the daemon binds it only after its
 * netfilter rules are installed (driver/linux/src/run.rs), so from then on every new connection
 * is held. It gets a process group of its own, so a Ctrl-C on the terminal reaches the engine,
 * which answers every held connection, and not the daemon: the launcher stops it after that.
 * Its messages go to this process's stderr.
 */
export async function startDaemon(options: DaemonOptions): Promise<StartedDaemon> {
  const [program, ...args] = [...(options.prefix ?? []), options.binary, ...daemonArgs(options)];
  if (program === undefined) throw new DaemonStartError('no daemon to start');
  const child = spawn(program, args, { detached: true, env: DAEMON_ENV, stdio: ['ignore', 'inherit', 'inherit'] });
  const exited = exitOf(child);
  let failed: string | null = null;
  child.once('error', (error) => (failed = `${options.binary} could not be started: ${error.message}`));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (failed !== null) throw new DaemonStartError(failed);
    if (options.signal?.aborted === true) {
      await stopChild(child, exited);
      throw new DaemonStartError('the start of zenithfenced was cancelled', true);
    }
    if (child.exitCode !== null || child.signalCode !== null) {
      const how = child.exitCode === null ? `signal ${String(child.signalCode)}` : `code ${String(child.exitCode)}`;
      throw new DaemonStartError(`zenithfenced exited with ${how} before it listened on ${options.socket}`);
    }
    if ((await probeDriverSocket(options.socket)).state === 'up') break;
    if (Date.now() > deadline) {
      await stopChild(child, exited);
      throw new DaemonStartError(
        `zenithfenced did not listen on ${options.socket} within ${String(READY_TIMEOUT_MS / 1000)} s`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return { pid: child.pid ?? 0, exited, stop: () => stopChild(child, exited) };
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', () => resolve(null));
  });
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return exited;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  try {
    return await exited;
  } finally {
    clearTimeout(timer);
  }
}
