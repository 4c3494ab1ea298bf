import { existsSync } from 'node:fs';

/** Where a zenithfenced unit lives when the Debian package (or an admin) installed one. */
export const SYSTEMD_UNIT_PATHS = [
  '/etc/systemd/system/zenithfenced.service',
  '/usr/lib/systemd/system/zenithfenced.service',
  '/lib/systemd/system/zenithfenced.service',
] as const;

/** Whether a zenithfenced unit is installed (an existing file among `paths`). */
export function systemdUnitInstalled(
  paths: readonly string[] = SYSTEMD_UNIT_PATHS,
  exists: (path: string) => boolean = existsSync,
): boolean {
  return paths.some((path) => exists(path));
}

export interface StartCommandInput {
  /** Whether a zenithfenced systemd unit is installed. */
  readonly unitInstalled: boolean;
  /** The daemon binary's absolute path. */
  readonly daemon: string;
  /** The socket the app will use, and the one the daemon makes unless told. */
  readonly socket: string;
  readonly defaultSocket: string;
  /** The group whose members the daemon lets connect: one only the user may be in (socket-group.ts). */
  readonly group: string;
}

/**
 * The one command a user without root runs to start the driver: the installed service when
 * there is one (and the app uses its socket), otherwise the daemon built by `npm install`,
 * letting `group` connect.
 */
export function driverStartCommand(input: StartCommandInput): string {
  const defaultSocket = input.socket === input.defaultSocket;
  if (input.unitInstalled && defaultSocket) return 'sudo systemctl start zenithfenced';
  const socket = defaultSocket ? [] : ['--socket', shellWord(input.socket)];
  return ['sudo', shellWord(input.daemon), '--group', shellWord(input.group), ...socket].join(' ');
}

/** `word` quoted for a POSIX shell when it needs it. */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}
