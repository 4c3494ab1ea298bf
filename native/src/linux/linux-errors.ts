// errno → typed error for the Linux socket, with the advice each message gives.
import type { DriverError } from '../errors.ts';
import { DaemonNotRunning, DriverGone, DriverOsError, PermissionDenied } from '../errors.ts';
import { ERRNO, errnoName } from './errno.ts';
import type { SocketGroup } from './socket-group.ts';

/** How to start the daemon, quoted in the messages. */
export const START_DAEMON_HINT = 'start zenithfenced (sudo systemctl start zenithfenced)';

/**
 * The error for a failed connect() to `socketPath`. `group` is the socket's owning group (see
 * socket-group.ts), looked up only for EACCES/EPERM.
 */
export function connectError(socketPath: string, errno: number, group: () => SocketGroup | undefined): DriverError {
  switch (errno) {
    case ERRNO.ENOENT:
    case ERRNO.ENOTDIR:
      return new DaemonNotRunning(
        socketPath,
        `zenithfenced is not running: there is no socket at ${socketPath}; ${START_DAEMON_HINT}.`,
      );
    case ERRNO.ECONNREFUSED:
      return new DaemonNotRunning(
        socketPath,
        `zenithfenced is not running: nothing listens on ${socketPath} (a stale socket file); ${START_DAEMON_HINT}.`,
      );
    case ERRNO.EACCES:
    case ERRNO.EPERM:
      return permissionDenied(socketPath, group());
    default:
      return new DriverOsError('connect', errno, errnoName(errno), true);
  }
}

function permissionDenied(socketPath: string, group: SocketGroup | undefined): PermissionDenied {
  if (group === undefined) {
    return new PermissionDenied(
      socketPath,
      undefined,
      `Permission denied on ${socketPath}, and its group cannot be read (a directory on the way is ` +
        'closed to your user): ask your administrator to let your user reach the zenithfenced socket.',
    );
  }
  if (group.gid === 0) {
    return new PermissionDenied(
      socketPath,
      group.name ?? 'root',
      `Permission denied on ${socketPath}: only root may connect, because zenithfenced runs without ` +
        '--group. Start it with --group zenithfence (or another group), add your user to that group ' +
        '(sudo usermod -aG zenithfence $USER) and log in again.',
    );
  }
  const name = group.name ?? `gid ${group.gid}`;
  const usermod = group.name === undefined ? '' : ` (sudo usermod -aG ${group.name} $USER)`;
  return new PermissionDenied(
    socketPath,
    group.name,
    `Permission denied on ${socketPath}: add your user to group ${name}${usermod} and log in again.`,
  );
}

/** The error for a failed read, send or other call on a connected socket. */
export function ioError(syscall: string, errno: number): DriverError {
  switch (errno) {
    case ERRNO.ECONNRESET:
    case ERRNO.ECONNABORTED:
    case ERRNO.EPIPE:
    case ERRNO.ENOTCONN:
      return new DriverGone(`${syscall}: ${errnoName(errno)}`);
    default:
      return new DriverOsError(syscall, errno, errnoName(errno), true);
  }
}
