// The Linux platform: zenithfenced's Unix socket, /proc, and XDG data directories.
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_SOCKET_PATH, type DriverOptions, openDriver } from '../../native/src/index.ts';
import type { SessionLink } from '../driver-client/driver-session.ts';
import { linuxSystemPort } from './linux-system-port.ts';
import type { Platform } from './platform.ts';

/** What the Linux platform reads from outside (injectable for tests). */
export interface LinuxPlatformDeps {
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly homeDir?: string;
  /** The opener (default: the binding's openDriver). */
  readonly openDriver?: (options: DriverOptions) => Promise<SessionLink>;
}

/**
 * The data directory: `$XDG_DATA_HOME/zenithfence`, else `~/.local/share/zenithfence` (the XDG
 * base directory rules: a relative XDG_DATA_HOME is ignored). The database is data the user
 * made (rules) and keeps (history), not a cache or configuration.
 */
export function linuxDataDir(env: Readonly<Record<string, string | undefined>>, homeDir: string): string {
  const xdg = env['XDG_DATA_HOME'];
  const base = xdg !== undefined && path.posix.isAbsolute(xdg) ? xdg : path.posix.join(homeDir, '.local', 'share');
  return path.posix.join(base, 'zenithfence');
}

export function linuxPlatform(deps: LinuxPlatformDeps = {}): Platform {
  const env = deps.env ?? process.env;
  const open = deps.openDriver ?? openDriver;
  // As before the platform seam: ZENITHFENCE_DRIVER_SOCKET names another socket (tests, a second daemon).
  const defaultSocket = env['ZENITHFENCE_DRIVER_SOCKET'] ?? DEFAULT_SOCKET_PATH;
  return {
    kind: 'linux',
    defaultDriverLocation: defaultSocket,
    driverConnector:
      (location = defaultSocket) =>
      () =>
        open({ kind: 'linux', socketPath: location }),
    systemPort: linuxSystemPort,
    defaultDataDir: () => linuxDataDir(env, deps.homeDir ?? os.homedir()),
    caseInsensitivePaths: false,
    driverPolicy: (policy) => policy,
    driverPolicyKey: () => '',
  };
}
