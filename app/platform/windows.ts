// The Windows platform: the \\.\ZenithFence device (installing and starting the driver service
// when it is missing), process facts through process handles, NT → DOS paths, %LOCALAPPDATA%.
import os from 'node:os';
import path from 'node:path';
import {
  DEFAULT_DEVICE_PATH,
  type DosDeviceMap,
  type DriverOptions,
  type DriverServiceConfig,
  installAndStartDriver,
  openAdvapiServiceControlManager,
  openDriver,
  openWindowsProcessInfo,
  readDosDeviceMap,
  readWindowsNetworkFacts,
  type WindowsNetworkReading,
  type WindowsProcessInfo,
  type WindowsProcessInfoOptions,
} from '../../native/src/index.ts';
import type { DriverPolicy } from '../contract/driver-policy.ts';
import type { SessionLink } from '../driver-client/driver-session.ts';
import type { Platform } from './platform.ts';
import { windowsConnector } from './windows-connect.ts';
import { startWindowsNetworkWatcher } from './windows-network-watcher.ts';
import { createDosPathConverter, type DosPathConverter } from './windows-paths.ts';
import { windowsSystemPort } from './windows-system-port.ts';

/** The driver's service as the installer registers it (resources/installer/windows/driver.nsh). */
export const DRIVER_SERVICE: DriverServiceConfig = {
  name: 'ZenithFence',
  displayName: 'ZenithFence',
  binaryPath: '\\SystemRoot\\System32\\drivers\\ZenithFence.sys',
};

/** What the Windows platform reaches outside (injectable, so it is tested on Linux). */
export interface WindowsPlatformDeps {
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly homeDir?: string;
  readonly openDriver?: (options: DriverOptions) => Promise<SessionLink>;
  /** Installs and starts the driver service (default: advapi32's service control manager). */
  readonly installDriver?: () => Promise<void>;
  /** Default: native openWindowsProcessInfo(), opened on first use. */
  readonly processInfo?: (options: WindowsProcessInfoOptions) => WindowsProcessInfo;
  /** Default: native readDosDeviceMap. */
  readonly readDosDevices?: () => DosDeviceMap;
  /** Default: native readWindowsNetworkFacts (iphlpapi, wlanapi). */
  readonly readNetwork?: () => WindowsNetworkReading;
}

/** Installs (if needed) and starts the driver through the service control manager. */
export async function installDriverService(): Promise<void> {
  const scm = openAdvapiServiceControlManager();
  try {
    await installAndStartDriver(scm, DRIVER_SERVICE);
  } finally {
    scm.dispose();
  }
}

/**
 * The data directory: `%LOCALAPPDATA%\ZenithFence`. Local, not roaming (%APPDATA%): the database
 * is this machine's history and its apps' paths, and a roaming profile would copy a large,
 * constantly written SQLite file between machines at every logon and logoff.
 */
export function windowsDataDir(env: Readonly<Record<string, string | undefined>>, homeDir: string): string {
  const local = env['LOCALAPPDATA'];
  const base =
    local !== undefined && path.win32.isAbsolute(local) ? local : path.win32.join(homeDir, 'AppData', 'Local');
  return path.win32.join(base, 'ZenithFence');
}

/** The policy with its app paths in the driver's form: NT device paths, lowercased when paths compare case-blind. */
export function ntPathPolicy(policy: DriverPolicy, paths: DosPathConverter): DriverPolicy {
  const fold = (text: string): string => (policy.caseInsensitivePaths ? text.toLowerCase() : text);
  return {
    ...policy,
    rules: policy.rules.map((rule) =>
      rule.appPath === null ? rule : { ...rule, appPath: fold(paths.toNt(rule.appPath)) },
    ),
  };
}

export function windowsPlatform(deps: WindowsPlatformDeps = {}): Platform {
  const env = deps.env ?? process.env;
  // A stand-in device (the Wine suite's named pipe) is named here; the real driver is never installed for it.
  const overridden = env['ZENITHFENCE_DRIVER_DEVICE'];
  const defaultDevice = overridden ?? DEFAULT_DEVICE_PATH;
  const paths = createDosPathConverter(deps.readDosDevices ?? readDosDeviceMap);
  let processes: WindowsProcessInfo | undefined;
  return {
    kind: 'windows',
    defaultDriverLocation: defaultDevice,
    driverConnector: (location = defaultDevice) =>
      windowsConnector({
        devicePath: location,
        open: deps.openDriver ?? openDriver,
        // Only the driver's own device comes from installing the driver.
        ...(location === DEFAULT_DEVICE_PATH ? { installDriver: deps.installDriver ?? installDriverService } : {}),
      }),
    systemPort: () => {
      // No account names: nothing shows them yet, and the lookup can block (process-info.ts).
      processes ??= (deps.processInfo ?? openWindowsProcessInfo)({ accounts: false });
      return windowsSystemPort(processes, paths);
    },
    defaultDataDir: () => windowsDataDir(env, deps.homeDir ?? os.homedir()),
    caseInsensitivePaths: true,
    driverPolicy: (policy) => ntPathPolicy(policy, paths),
    driverPolicyKey: () => paths.mapKey(),
    networkWatcher: (onFacts, log) =>
      startWindowsNetworkWatcher({ read: deps.readNetwork ?? readWindowsNetworkFacts, onFacts, log }),
  };
}
