// The platform seam's chooser: the entry files (app/main, app/headless) take their platform here.
import type { HostOptions } from '../runtime/host.ts';
import { linuxPlatform, type LinuxPlatformDeps } from './linux.ts';
import type { Platform } from './platform.ts';
import { windowsPlatform, type WindowsPlatformDeps } from './windows.ts';

export type { Platform, PlatformKind } from './platform.ts';

/** Thrown for an operating system ZenithFence has no driver for. */
export class UnsupportedPlatform extends Error {
  override readonly name = 'UnsupportedPlatform';
  constructor(platform: string) {
    super(`ZenithFence runs on Windows and Linux, not on ${platform}: it has no driver for this system.`);
  }
}

/** The platform for a `process.platform` value (tests pass 'win32' on Linux, with fakes in `deps`). */
export function choosePlatform(platform: string, deps: LinuxPlatformDeps & WindowsPlatformDeps = {}): Platform {
  switch (platform) {
    case 'linux':
      return linuxPlatform(deps);
    case 'win32':
      return windowsPlatform(deps);
    default:
      throw new UnsupportedPlatform(platform);
  }
}

/** This machine's platform. */
export function currentPlatform(): Platform {
  return choosePlatform(process.platform);
}

/** The platform's part of the host's options: driver connection, system port, path rules. */
export type PlatformHostOptions = Pick<
  HostOptions,
  'connect' | 'system' | 'caseInsensitivePaths' | 'driverPolicy' | 'driverPolicyKey' | 'networkWatcher'
>;

/** What createHost takes from `platform`, the driver at `driverLocation` (default: the platform's). */
export function platformHostOptions(platform: Platform, driverLocation?: string): PlatformHostOptions {
  return {
    connect: platform.driverConnector(driverLocation),
    system: platform.systemPort(),
    caseInsensitivePaths: platform.caseInsensitivePaths,
    driverPolicy: (policy) => platform.driverPolicy(policy),
    driverPolicyKey: () => platform.driverPolicyKey(),
    ...(platform.networkWatcher === undefined ? {} : { networkWatcher: platform.networkWatcher }),
  };
}
