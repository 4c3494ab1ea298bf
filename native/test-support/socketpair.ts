// A connected SEQPACKET socketpair through the real libc binding: one end for the transport
// under test, the other played by the test as the daemon.
import { libc } from '../src/ffi.ts';
import { AF_UNIX } from '../src/linux/sockaddr-un.ts';
import { SOCK_SEQPACKET } from '../src/linux/socket-transport.ts';

/** Two connected descriptors. */
export interface SocketPair {
  readonly client: number;
  readonly daemon: number;
}

/** Creates the pair (SOCK_CLOEXEC so spawned test processes do not inherit it). */
export function seqpacketPair(): SocketPair {
  const fds = Buffer.alloc(8);
  const made = libc().socketpair(AF_UNIX, SOCK_SEQPACKET | 0o2000000, 0, fds);
  if (made.value !== 0) throw new Error(`socketpair failed with errno ${made.code}`);
  return { client: fds.readInt32LE(0), daemon: fds.readInt32LE(4) };
}

/** Sends one message from `fd`, as the daemon's writes are. */
export function sendMessage(fd: number, bytes: Uint8Array): void {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const sent = libc().write(fd, buffer, buffer.length);
  if (sent.value !== buffer.length) throw new Error(`write failed: ${sent.value}, errno ${sent.code}`);
}

/** Reads one message on `fd` (blocking the JS thread: use only when one is waiting). */
export function receiveMessage(fd: number): Buffer {
  const buffer = Buffer.alloc(65536);
  const got = libc().readSync(fd, buffer, buffer.length);
  if (got.value < 0) throw new Error(`read failed with errno ${got.code}`);
  return buffer.subarray(0, got.value);
}

/** Closes a descriptor. */
export function closeFd(fd: number): void {
  libc().close(fd);
}
