import { type Account, accountOf, type GetEnt, getent } from './system-users.ts';

/**
 * Under `sudo npm start`, the account the engine (headless mode) and the browser run as: the
 * user who typed sudo, not root. Only the daemon needs root (ARCHITECTURE.md: the app never runs
 * as root). It also decides the data directory: the engine runs with that user's HOME, so the
 * rules and history are theirs, the same database `npm start` uses without sudo, and no
 * root-owned file lands in their home to lock them out of it later. Null when not under sudo
 * (or sudo from root): then the engine runs as this process's user, with its HOME.
 */
export function sudoInvoker(
  env: Readonly<Record<string, string | undefined>>,
  euid: number,
  lookup: GetEnt = getent,
): Account | null {
  if (euid !== 0) return null;
  const uid = Number(env['SUDO_UID']);
  if (env['SUDO_UID'] === undefined || !Number.isInteger(uid) || uid <= 0) return null;
  return accountOf(uid, lookup);
}

/** The environment of a process run as `account`: its HOME and names; the rest as given. */
export function envFor(
  account: Account,
  env: Readonly<Record<string, string | undefined>>,
): Record<string, string | undefined> {
  return { ...env, HOME: account.home, USER: account.name, LOGNAME: account.name };
}

/**
 * setpriv (util-linux) by its path: the launcher runs as root, and a program of that name earlier
 * on the invoker's PATH must not become root's.
 */
export const SETPRIV = '/usr/bin/setpriv';

/**
 * The setpriv (util-linux) prefix that runs a program as `account` with all its groups (also
 * those that may open the daemon's socket; Node's own uid/gid spawn options would drop them),
 * and with `pdeathsig` that stops it when its parent dies, even by SIGKILL. Empty when there is
 * nothing to do.
 */
export function setprivPrefix(account: Account | null, pdeathsig: boolean): string[] {
  const user =
    account === null ? [] : [`--reuid=${String(account.uid)}`, `--regid=${String(account.gid)}`, '--init-groups'];
  const death = pdeathsig ? ['--pdeathsig=TERM'] : [];
  return user.length + death.length === 0 ? [] : [SETPRIV, ...user, ...death, '--'];
}
