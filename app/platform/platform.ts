// What an operating system supplies to the host (ARCHITECTURE.md, "One composition root, one
// platform seam"): the driver connection, process facts, data location and path rules. The entry
// files take one from currentPlatform() (index.ts) and hand its parts to createHost.
import type { DriverPolicy } from '../contract/driver-policy.ts';
import type { DriverConnect } from '../driver-client/driver-session.ts';
import type { NetworkWatcherStart } from '../runtime/host.ts';
import type { SystemPort } from '../runtime/runtime.ts';

export type PlatformKind = 'linux' | 'windows';

export interface Platform {
  readonly kind: PlatformKind;
  /** The driver's socket (Linux) or device (Windows) unless told otherwise. */
  readonly defaultDriverLocation: string;
  /**
   * The session's connect function for one run of the app: each call opens a link to the driver
   * at `location` (default {@link defaultDriverLocation}). Windows installs and starts the driver
   * service at most once per connector when the device is missing.
   */
  driverConnector(location?: string): DriverConnect;
  /** The system port (process facts, reverse lookups, the paths the user sees). */
  systemPort(): SystemPort;
  /** Where the database lives unless told otherwise: both hosts (the desktop app and headless mode). */
  defaultDataDir(): string;
  /** Whether app paths compare case-insensitively (Windows). */
  readonly caseInsensitivePaths: boolean;
  /** The policy as the driver must see it (Windows: app paths in NT device form); Linux: as is. */
  driverPolicy(policy: DriverPolicy): DriverPolicy;
  /**
   * What `driverPolicy` depends on besides the rules (Windows: the drive map); when it changes,
   * the policy is made and sent again. Linux: always ''.
   */
  driverPolicyKey(): string;
  /**
   * Watches the network where the driver does not report it (Windows: the kernel driver never
   * grants NETWORK): `onFacts` at the start and at every change. Absent on Linux, where the
   * daemon reports the facts in stream order.
   */
  readonly networkWatcher?: NetworkWatcherStart;
}
