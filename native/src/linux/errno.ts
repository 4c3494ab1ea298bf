// errno values by name, from Node's table for this platform (no hand-copied numbers).
import { constants } from 'node:os';

/** The errno values the Linux transport acts on. */
export const ERRNO = {
  EINTR: constants.errno.EINTR,
  EACCES: constants.errno.EACCES,
  EPERM: constants.errno.EPERM,
  ENOENT: constants.errno.ENOENT,
  ENOTDIR: constants.errno.ENOTDIR,
  ECONNREFUSED: constants.errno.ECONNREFUSED,
  ECONNRESET: constants.errno.ECONNRESET,
  ECONNABORTED: constants.errno.ECONNABORTED,
  EPIPE: constants.errno.EPIPE,
  ENOTCONN: constants.errno.ENOTCONN,
  EAGAIN: constants.errno.EAGAIN,
  EIO: constants.errno.EIO,
} as const;

const NAMES = new Map<number, string>(Object.entries(constants.errno).map(([name, value]) => [value, name]));

/** The symbolic name of an errno value (`ENOENT`), or `errno N` when unknown. */
export function errnoName(errno: number): string {
  return NAMES.get(errno) ?? `errno ${errno}`;
}
