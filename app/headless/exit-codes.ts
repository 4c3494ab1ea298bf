// What the exit code of headless mode (and of `npm start`, app/launcher) says failed, so that a
// script or a service manager can tell a wrong command line from a missing driver.

export const EXIT = {
  /** Stopped by SIGINT, SIGTERM or SIGHUP after answering every held connection; or --help, --version. */
  ok: 0,
  /** Anything not below (a rule file that cannot be imported, a port in use, a fault). */
  other: 1,
  /** The command line is wrong. */
  usage: 2,
  /** The driver is not running and cannot be started from here, or refused the connection. */
  driver: 3,
  /** The data directory cannot be used: another ZenithFence runs on it, or its database is newer. */
  database: 4,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A wrong command line; its message is one sentence for the user (exit code 2). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
