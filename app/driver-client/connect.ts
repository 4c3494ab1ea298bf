import { createDriverHandle } from '../../native/src/driver-handle.ts';
import { connectLinuxSocket } from '../../native/src/linux/socket-transport.ts';
import type { SessionLink } from './driver-session.ts';

/** Opens zenithfenced's socket (Linux). */
export async function connectLinuxDriver(socketPath: string): Promise<SessionLink> {
  return createDriverHandle(await connectLinuxSocket(socketPath));
}
