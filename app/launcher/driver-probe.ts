import net from 'node:net';

/**
 * What is at the driver's socket path:
 * - 'up': a daemon listens there;
 * - 'absent': nothing listens (no file, or one a killed daemon left behind);
 * - 'refused': something is there that this user may not connect to (not in the daemon's group).
 */
export type DriverSocketState = 'up' | 'absent' | 'refused';

export interface DriverProbe {
  readonly state: DriverSocketState;
  /** The system's error code that decided it ('' when a connection was made). */
  readonly code: string;
}

/**
 * Looks at the socket without becoming the daemon's client: the daemon serves one client at a
 * time, so a probing connection could make it refuse the engine that connects right after. A
 * stream connect to zenithfenced's SEQPACKET socket fails with EPROTOTYPE only after the kernel
 * found a listener there and checked the caller's permission on the file, which is all this
 * needs to know; ECONNREFUSED means a file with no listener, EACCES a socket this user may not use.
 */
export function probeDriverSocket(socketPath: string): Promise<DriverProbe> {
  return new Promise((resolve) => {
    const socket = net.createConnection({ path: socketPath });
    socket.once('connect', () => {
      // A stream listener (not zenithfenced's kind): someone is there; the engine will say more.
      socket.destroy();
      resolve({ state: 'up', code: '' });
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      socket.destroy();
      resolve({ state: stateOf(error.code ?? ''), code: error.code ?? '' });
    });
  });
}

/** The state an error code of connect(2) on a Unix socket path means. */
export function stateOf(code: string): DriverSocketState {
  switch (code) {
    case 'EPROTOTYPE':
      return 'up';
    case 'ENOENT':
    case 'ENOTDIR':
    case 'ECONNREFUSED':
      return 'absent';
    default:
      // EACCES, EPERM, and what no daemon gives: not ours to start a second daemon over.
      return 'refused';
  }
}
