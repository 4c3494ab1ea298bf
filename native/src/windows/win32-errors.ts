// Win32 error codes → typed errors for the device, with the advice each message gives.
import type { DriverError } from '../errors.ts';
import { DaemonNotRunning, DriverGone, DriverOsError, PermissionDenied } from '../errors.ts';

/** The Win32 error codes the binding acts on (winerror.h). */
export const WIN32_ERROR = {
  FILE_NOT_FOUND: 2,
  PATH_NOT_FOUND: 3,
  ACCESS_DENIED: 5,
  INVALID_HANDLE: 6,
  NOT_READY: 21,
  SHARING_VIOLATION: 32,
  DEV_NOT_EXIST: 55,
  /** The device refused a request as malformed (a command of the wrong length). */
  INVALID_PARAMETER: 87,
  BROKEN_PIPE: 109,
  // What StartServiceW returns when the driver's image cannot be loaded (Windows: a file that is
  // not an image, an untrusted signature, a blocked driver; Wine 8: DLL_INIT_FAILED for all).
  BAD_EXE_FORMAT: 193,
  INVALID_IMAGE_HASH: 577,
  NO_SUCH_DEVICE: 433,
  OPERATION_ABORTED: 995,
  SERVICE_REQUEST_TIMEOUT: 1053,
  SERVICE_ALREADY_RUNNING: 1056,
  SERVICE_DISABLED: 1058,
  SERVICE_DOES_NOT_EXIST: 1060,
  SERVICE_CANNOT_ACCEPT_CTRL: 1061,
  SERVICE_NOT_ACTIVE: 1062,
  SERVICE_MARKED_FOR_DELETE: 1072,
  SERVICE_EXISTS: 1073,
  DLL_INIT_FAILED: 1114,
  DEVICE_NOT_CONNECTED: 1167,
  NOT_FOUND: 1168,
  DRIVER_BLOCKED: 1275,
  DEVICE_REMOVED: 1617,
} as const;

const NAMES = new Map<number, string>(Object.entries(WIN32_ERROR).map(([name, code]) => [code, `ERROR_${name}`]));

/** The symbolic name of a Win32 error code, or `Win32 error N`. */
export function win32ErrorName(code: number): string {
  return NAMES.get(code) ?? `Win32 error ${code}`;
}

// Codes meaning the device went away under an open handle (driver stopped or unloaded).
const GONE = new Set<number>([
  WIN32_ERROR.INVALID_HANDLE,
  WIN32_ERROR.NOT_READY,
  WIN32_ERROR.DEV_NOT_EXIST,
  WIN32_ERROR.BROKEN_PIPE,
  WIN32_ERROR.NO_SUCH_DEVICE,
  // Not after our own cancel (the transport checks that first): the driver cancelled the read.
  WIN32_ERROR.OPERATION_ABORTED,
  WIN32_ERROR.DEVICE_NOT_CONNECTED,
  WIN32_ERROR.DEVICE_REMOVED,
]);

/** The error for a failed CreateFileW of the device. */
export function deviceOpenError(devicePath: string, code: number): DriverError {
  switch (code) {
    case WIN32_ERROR.FILE_NOT_FOUND:
    case WIN32_ERROR.PATH_NOT_FOUND:
      return new DaemonNotRunning(
        devicePath,
        `The ZenithFence driver is not installed or not running (no device ${devicePath}): reinstall ` +
          'ZenithFence, or start the driver from an administrator prompt (sc start ZenithFence).',
      );
    case WIN32_ERROR.ACCESS_DENIED:
      return new PermissionDenied(
        devicePath,
        undefined,
        `Access to ${devicePath} was denied: only administrators may use the driver; run ZenithFence as administrator.`,
      );
    case WIN32_ERROR.SHARING_VIOLATION:
      return new DriverOsError('CreateFileW', code, `${win32ErrorName(code)} (another ZenithFence client?)`, true);
    default:
      return new DriverOsError('CreateFileW', code, win32ErrorName(code), true);
  }
}

/** The error for a failed ReadFile, WriteFile or DeviceIoControl on an open device. */
export function deviceIoError(call: string, code: number): DriverError {
  if (GONE.has(code)) return new DriverGone(`${call}: ${win32ErrorName(code)}`);
  // The driver refused the request as malformed (a command of the wrong length): the app and the
  // driver disagree on the protocol, and a reconnect would send the same command again.
  const retryable = code !== WIN32_ERROR.INVALID_PARAMETER;
  return new DriverOsError(call, code, win32ErrorName(code), retryable);
}
