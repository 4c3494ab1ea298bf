// One command out as one message, without blocking: the two ways the transport has.
import { writeSync } from 'node:fs';
import { constants } from 'node:os';
import type { SysResult } from '../ffi.ts';
import { libc } from '../ffi.ts';
import { ERRNO } from './errno.ts';

// A write to a socket the daemon closed returns EPIPE instead of killing the process.
const MSG_NOSIGNAL = 0x4000;
// Never block the event loop: a daemon that stopped reading commands must not freeze the app.
const MSG_DONTWAIT = 0x40;
const F_GETFL = 3;
const O_NONBLOCK = 0o4000;

/** Sends `bytes` as one message; the count sent, or -1 with the errno (EAGAIN: no room now). */
export type MessageWrite = (bytes: Buffer) => SysResult<number>;

/**
 * The cheapest write that cannot block on `fd`: Node's fs write where the descriptor is already
 * non-blocking (event reads make it so), else send() through ffi-rs with MSG_DONTWAIT.
 */
export function messageWrite(fd: number): MessageWrite {
  const flags = libc().fcntl(fd, F_GETFL, 0);
  return flags.value >= 0 && (flags.value & O_NONBLOCK) !== 0 ? fsWrite(fd) : ffiSend(fd);
}

/** send() through ffi-rs (about 15 µs a call here, most of it ffi-rs' argument handling). */
function ffiSend(fd: number): MessageWrite {
  const sys = libc();
  return (bytes) => sys.send(fd, bytes, bytes.length, MSG_NOSIGNAL | MSG_DONTWAIT);
}

/**
 * write() through Node's fs on a non-blocking descriptor: one system call on the JS thread, about
 * 4 µs. One call of one buffer is one write() (libuv retries only EINTR), and on SEQPACKET a write
 * sends the message whole or not at all. No MSG_NOSIGNAL is needed: Node and Electron ignore
 * SIGPIPE (every net.Socket write relies on that), so a daemon that left gives EPIPE here too.
 */
function fsWrite(fd: number): MessageWrite {
  return (bytes) => {
    try {
      return { value: writeSync(fd, bytes, 0, bytes.length), code: 0 };
    } catch (error) {
      return { value: -1, code: errnoOf(error) };
    }
  };
}

/** The errno of a Node fs error from its code ('EAGAIN'); EIO when it has none known here. */
function errnoOf(error: unknown): number {
  const code = (error as { code?: unknown } | null)?.code;
  const errno = typeof code === 'string' ? (constants.errno as Readonly<Record<string, number>>)[code] : undefined;
  return errno ?? ERRNO.EIO;
}
