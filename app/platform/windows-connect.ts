// Connecting to the Windows driver: open the device; when it is missing, install and start the
// driver service once per run of the app, then open again.
import { DaemonNotRunning, type DriverOptions, ServiceControlError } from '../../native/src/index.ts';
import type { DriverConnect, SessionLink } from '../driver-client/driver-session.ts';

/** What the user sees while the first start installs the driver (StartService can take 30 s). */
export const INSTALLING_MESSAGE =
  'Installing and starting the ZenithFence driver; the first start can take up to 30 seconds.';

export interface WindowsConnectOptions {
  /** The device path to open. */
  readonly devicePath: string;
  readonly open: (options: DriverOptions) => Promise<SessionLink>;
  /**
   * Installs (if needed) and starts the driver service, resolving once it runs; rejects with a
   * typed error that says what to do (ServiceControlError, or PermissionDenied when not elevated).
   * Absent: the device is not the driver's (a test stand-in), so nothing is installed.
   */
  readonly installDriver?: () => Promise<void>;
}

/**
 * The session's connect function. A missing device (DaemonNotRunning) makes the first attempt
 * install and start the service, then open again; what fails there is passed on, so the session
 * shows it (an install error is not retryable: the user must act). Later attempts only open: a
 * driver that was started and went away again is waited for with the session's back-off, not
 * installed in a loop.
 */
export function windowsConnector(options: WindowsConnectOptions): DriverConnect {
  let installTried = false;
  const open = (): Promise<SessionLink> => options.open({ kind: 'windows', devicePath: options.devicePath });
  return async (progress) => {
    try {
      return await open();
    } catch (error) {
      const install = options.installDriver;
      if (!(error instanceof DaemonNotRunning) || install === undefined || installTried) throw error;
      installTried = true;
      progress(INSTALLING_MESSAGE);
      try {
        await install();
      } catch (installError) {
        // A driver that is still starting after the wait is not a failure the user must act on:
        // open anyway; a device not there yet is then waited for with the session's back-off.
        if (!stillStarting(installError)) throw installError;
      }
      return open();
    }
  };
}

/** The service was started but had not reached 'running' when the install stopped waiting. */
function stillStarting(error: unknown): boolean {
  return error instanceof ServiceControlError && error.operation === 'wait for running' && error.win32Code === 0;
}
