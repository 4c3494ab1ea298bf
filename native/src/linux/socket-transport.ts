// The Linux transport: a SOCK_SEQPACKET Unix socket to zenithfenced, through libc via ffi-rs.
// One blocking read on the threadpool at a time; commands are synchronous send() calls.
import { libc } from '../ffi.ts';
import type { SysResult } from '../ffi.ts';
import { DriverOsError } from '../errors.ts';
import type { DriverTransport } from '../transport.ts';
import { ERRNO } from './errno.ts';
import { connectError, ioError } from './linux-errors.ts';
import { socketGroup } from './socket-group.ts';
import { AF_UNIX, sockaddrUn, SOCKADDR_UN_SIZE } from './sockaddr-un.ts';

/** SOCK_SEQPACKET: keeps each write one message, as the daemon requires. */
export const SOCK_SEQPACKET = 5;
// No descriptor leak into processes the app spawns: a leaked copy would keep the connection
// open after close(), and the daemon would still see this client.
const SOCK_CLOEXEC = 0o2000000;
// A write to a socket the daemon closed returns EPIPE instead of killing the process.
const MSG_NOSIGNAL = 0x4000;
const SHUT_RDWR = 2;

/** The read buffer: several times the daemon's 16 KiB messages, so one read never cuts one. */
export const READ_BUFFER_SIZE = 64 * 1024;

/**
 * Connects to zenithfenced's socket. Rejects with DaemonNotRunning (no socket, or nobody
 * listening), PermissionDenied (naming the socket's group), or DriverOsError.
 */
export async function connectLinuxSocket(socketPath: string): Promise<DriverTransport> {
  const address = sockaddrUn(socketPath);
  const sys = libc();
  const socket = sys.socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (socket.value < 0) throw ioError('socket', socket.code);
  const fd = socket.value;
  let connected: SysResult<number>;
  do {
    connected = await sys.connect(fd, address, SOCKADDR_UN_SIZE);
  } while (connected.value < 0 && connected.code === ERRNO.EINTR);
  if (connected.value < 0) {
    sys.close(fd);
    throw connectError(socketPath, connected.code, () => socketGroup(socketPath));
  }
  return linuxSocketTransport(fd);
}

/**
 * A transport over a connected SEQPACKET socket descriptor, which it then owns (tests pass one
 * end of a socketpair).
 */
export function linuxSocketTransport(fd: number): DriverTransport {
  const sys = libc();
  // Owned here and reused by every read; the pending read keeps it referenced through the call.
  const buffer = Buffer.alloc(READ_BUFFER_SIZE);
  let shutDown = false;
  let closed = false;
  return {
    kind: 'linux',
    async read() {
      for (;;) {
        const got = await sys.read(fd, buffer, buffer.length);
        if (got.value >= 0) return buffer.subarray(0, got.value);
        // A signal delivered to the pool thread interrupts the call; it is not an error.
        if (got.code === ERRNO.EINTR) continue;
        if (shutDown) return buffer.subarray(0, 0);
        throw ioError('read', got.code);
      }
    },
    // Synchronous: the daemon reads commands on a thread of their own, so a send does not wait in
    // practice, costs ~8 µs instead of a ~64 µs threadpool hop, and keeps the pool to one thread.
    write(command) {
      // ffi-rs takes Buffers; this view shares the command's memory.
      const bytes = Buffer.from(command.buffer, command.byteOffset, command.byteLength);
      for (;;) {
        const sent = sys.send(fd, bytes, bytes.length, MSG_NOSIGNAL);
        if (sent.value === bytes.length) return Promise.resolve();
        if (sent.value < 0 && sent.code === ERRNO.EINTR) continue;
        // SEQPACKET sends a message whole or not at all, so this is not expected to happen.
        if (sent.value >= 0) return Promise.reject(new DriverOsError('send', 0, 'a short write', true));
        return Promise.reject(ioError('send', sent.code));
      }
    },
    cancelRead() {
      if (shutDown || closed) return;
      shutDown = true;
      // shutdown() wakes a read blocked in another thread (it returns 0) and makes every later
      // read return 0 at once, unlike close(), which leaves a blocked read blocked.
      sys.shutdown(fd, SHUT_RDWR);
    },
    close() {
      if (closed) return;
      closed = true;
      sys.close(fd);
    },
  };
}
