import { openDriver } from '../../native/src/index.ts';
import type { SessionLink } from './driver-session.ts';

/** Opens zenithfenced's socket (Linux). Errors say what to do (see native/src/errors.ts). */
export function connectLinuxDriver(socketPath: string): Promise<SessionLink> {
  return openDriver({ kind: 'linux', socketPath });
}
