// The Linux transport: a SOCK_SEQPACKET Unix socket to zenithfenced, through libc via ffi-rs.
// Reads are event-driven on the event loop (event-reads.ts), one at a time, or where the runtime
// cannot do that, one blocking read on the threadpool at a time; commands are non-blocking send()
// calls, one message each.
import { DriverOsError } from '../errors.ts';
import type { SysResult } from '../ffi.ts';
import { libc } from '../ffi.ts';
import type { DriverTransport } from '../transport.ts';
import { ERRNO } from './errno.ts';
import { type EventReads, openEventReads, pipeBinding } from './event-reads.ts';
import { connectError, ioError } from './linux-errors.ts';
import { messageWrite } from './message-write.ts';
import { AF_UNIX, SOCKADDR_UN_SIZE, sockaddrUn } from './sockaddr-un.ts';
import { socketGroup } from './socket-group.ts';

/** SOCK_SEQPACKET: keeps each write one message, as the daemon requires. */
export const SOCK_SEQPACKET = 5;
// No descriptor leak into processes the app spawns: a leaked copy would keep the connection
// open after close(), and the daemon would still see this client.
const SOCK_CLOEXEC = 0o2000000;
const SHUT_RDWR = 2;
const F_GETFL = 3;
const F_SETFL = 4;
const F_DUPFD_CLOEXEC = 1030;
/** How long a command may wait for room in a socket the daemon does not read, by default. */
export const DEFAULT_SEND_STALL_MS = 10_000;
/** Waits between attempts while the socket is full: short at first, then at most this. */
const FIRST_RETRY_MS = 1;
const MAX_RETRY_MS = 50;

export interface SocketTransportOptions {
  /**
   * How long a command waits for the daemon to make room before the write fails (retryable:
   * the session then drops the connection and reconnects). Default DEFAULT_SEND_STALL_MS.
   */
  readonly sendStallMs?: number;
  /**
   * How messages are read: 'event' (default) on the event loop when the socket becomes readable,
   * falling back to 'threadpool' where the runtime cannot; 'threadpool': a blocking read on a
   * libuv threadpool thread (tests and benchmarks compare the two).
   */
  readonly reads?: SocketReads;
}

/** How the transport reads the socket (see {@link SocketTransportOptions.reads}). */
export type SocketReads = 'event' | 'threadpool';

/** The read buffer: several times the daemon's 16 KiB messages, so one read never cuts one. */
export const READ_BUFFER_SIZE = 64 * 1024;

/**
 * Connects to zenithfenced's socket. Rejects with DaemonNotRunning (no socket, or nobody
 * listening), PermissionDenied (naming the socket's group), or DriverOsError.
 */
export async function connectLinuxSocket(
  socketPath: string,
  options: SocketTransportOptions = {},
): Promise<DriverTransport> {
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
  return linuxSocketTransport(fd, options);
}

/**
 * A transport over a connected SEQPACKET socket descriptor, which it then owns (tests pass one
 * end of a socketpair).
 */
export function linuxSocketTransport(fd: number, options: SocketTransportOptions = {}): DriverTransport {
  const sys = libc();
  const stallMs = options.sendStallMs ?? DEFAULT_SEND_STALL_MS;
  const events = options.reads === 'threadpool' ? undefined : eventReadsOf(fd);
  let shutDown = false;
  let closed = false;
  const read = events === undefined ? threadpoolRead(fd, () => shutDown) : eventRead(events);
  // Chosen after the reads: event reads make the descriptor non-blocking, and a plain write then suffices.
  const send = messageWrite(fd);
  return {
    kind: 'linux',
    read,
    // Non-blocking: the daemon reads commands on a thread of their own, so a send finds room at
    // once (a few µs, no threadpool hop). When it does not (a daemon that hangs or is stopped), the
    // command waits on timers, the event loop keeps running, and after `stallMs` the write
    // fails. Writes are chained by the handle, so commands keep their order.
    async write(command) {
      // Both writes take Buffers; this view shares the command's memory.
      const bytes = Buffer.from(command.buffer, command.byteOffset, command.byteLength);
      const deadline = performance.now() + stallMs;
      let wait = FIRST_RETRY_MS;
      for (;;) {
        const sent = send(bytes);
        if (sent.value === bytes.length) return;
        if (sent.value < 0 && sent.code === ERRNO.EINTR) continue;
        // SEQPACKET sends a message whole or not at all, so this is not expected to happen.
        if (sent.value >= 0) throw new DriverOsError('send', 0, 'a short write', true);
        if (sent.code !== ERRNO.EAGAIN) throw ioError('send', sent.code);
        if (closed || shutDown) throw ioError('send', ERRNO.EPIPE);
        if (performance.now() >= deadline) {
          throw new DriverOsError(
            'send',
            sent.code,
            `no room for ${String(stallMs)} ms: the driver reads no commands`,
            true,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, wait));
        wait = Math.min(MAX_RETRY_MS, wait * 2);
      }
    },
    cancelRead() {
      if (shutDown || closed) return;
      shutDown = true;
      // shutdown() wakes a read blocked in another thread (it returns 0) and makes every later
      // read return 0 at once, unlike close(), which leaves a blocked read blocked.
      sys.shutdown(fd, SHUT_RDWR);
      events?.stop();
    },
    close() {
      if (closed) return;
      closed = true;
      events?.close();
      sys.close(fd);
    },
  };
}

/**
 * Event reads of a close-on-exec duplicate of `fd`, or undefined where the runtime has none (or no
 * descriptor is left for the duplicate): the transport then reads on the threadpool. Node closes
 * the duplicate as soon as a read fails; `fd`, which the commands use, stays open until the
 * transport closes, so a late command can never land in a descriptor reused meanwhile.
 */
function eventReadsOf(fd: number): EventReads | undefined {
  const sys = libc();
  const flags = sys.fcntl(fd, F_GETFL, 0);
  if (flags.value < 0) return undefined;
  const duplicate = sys.fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (duplicate.value < 0) return undefined;
  const events = openEventReads(duplicate.value, READ_BUFFER_SIZE, pipeBinding());
  if (events === undefined) {
    sys.close(duplicate.value);
    // A refused handle may have made the shared file description non-blocking first; the
    // threadpool read needs it blocking.
    sys.fcntl(fd, F_SETFL, flags.value);
  }
  return events;
}

function eventRead(events: EventReads): () => Promise<Uint8Array> {
  return async () => {
    const outcome = await events.next();
    if (outcome.kind === 'data') return outcome.bytes;
    if (outcome.kind === 'end') return new Uint8Array(0);
    throw ioError('read', outcome.errno);
  };
}

function threadpoolRead(fd: number, shutDown: () => boolean): () => Promise<Uint8Array> {
  const sys = libc();
  // Owned here and reused by every read; the pending read keeps it referenced through the call.
  const buffer = Buffer.alloc(READ_BUFFER_SIZE);
  return async () => {
    for (;;) {
      const got = await sys.read(fd, buffer, buffer.length);
      if (got.value >= 0) return buffer.subarray(0, got.value);
      // A signal delivered to the pool thread interrupts the call; it is not an error.
      if (got.code === ERRNO.EINTR) continue;
      if (shutDown()) return buffer.subarray(0, 0);
      throw ioError('read', got.code);
    }
  };
}
